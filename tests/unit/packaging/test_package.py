"""infra.package without pip or the network: requirement parsing, removal of what the
Lambda runtime provides, deterministic zips and bytecode, stale locks, refusals."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from infra.package import (
    LOCK_SOURCE_LINE,
    PackagingError,
    Target,
    build,
    compile_bytecode,
    is_current,
    pip_install,
    read_requirements,
    remove_distributions,
    source_digest,
    write_zip,
)


def test_requirements_lose_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# header\n\npydantic>=2.6  # why\n  boto3\n")
    assert read_requirements(path) == ["pydantic>=2.6", "boto3"]


def _install_fake(site: Path, name: str, version: str, files: dict[str, str]) -> None:
    dist_info = site / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    for relative, content in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(content)
    record = [f"{relative},," for relative in files] + [f"{dist_info.name}/RECORD,,"]
    (dist_info / "RECORD").write_text("\n".join(record) + "\n")


def test_runtime_provided_distributions_are_removed_and_others_kept(tmp_path: Path) -> None:
    # Given botocore and pydantic installed side by side
    _install_fake(
        tmp_path, "botocore", "1.34.0", {"botocore/__init__.py": "", "botocore/data/x.json": "{}"}
    )
    _install_fake(tmp_path, "python_dateutil", "2.9.0", {"dateutil/__init__.py": ""})
    _install_fake(tmp_path, "pydantic", "2.6.0", {"pydantic/__init__.py": ""})
    # When the runtime's SDK is removed
    removed = remove_distributions(tmp_path, {"botocore", "python-dateutil"})
    # Then its files, directories and metadata are gone, and pydantic is untouched
    assert sorted(removed) == ["botocore", "python-dateutil"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pydantic", "pydantic-2.6.0.dist-info"]


def test_zips_of_the_same_files_are_identical_and_keep_the_bytecode(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / ".mypy_cache").mkdir()
    (source / "pkg" / "__init__.py").write_text("x = 1\n")
    (source / "pkg" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (source / "pkg" / ".mypy_cache" / "x.json").write_text("{}")
    write_zip(source, tmp_path / "a.zip")
    (source / "pkg" / "__init__.py").touch()  # a newer mtime changes nothing
    write_zip(source, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.namelist() == ["pkg/__init__.py", "pkg/__pycache__/x.pyc"]


def test_bytecode_is_unchecked_hash_with_task_paths_and_the_same_on_every_compile(
    tmp_path: Path,
) -> None:
    # Given a module compiled twice, its source touched in between
    staging = tmp_path / "staging"
    (staging / "pkg").mkdir(parents=True)
    (staging / "pkg" / "mod.py").write_text("def f():\n    return 1\n")
    tag = sys.implementation.cache_tag
    compile_bytecode(staging, Path(sys.executable))
    first = (staging / "pkg" / "__pycache__" / f"mod.{tag}.pyc").read_bytes()
    (staging / "pkg" / "mod.py").touch()
    compile_bytecode(staging, Path(sys.executable))
    second = (staging / "pkg" / "__pycache__" / f"mod.{tag}.pyc").read_bytes()
    # Then the bytes are the same, hash-based and unchecked, naming the path in /var/task
    assert first == second
    assert int.from_bytes(first[4:8], "little") == 0b01
    assert b"/var/task/pkg/mod.py" in first


def test_a_module_that_does_not_compile_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def (:\n")
    with pytest.raises(PackagingError, match="could not compile"):
        compile_bytecode(tmp_path, Path(sys.executable))


def test_a_stale_lock_is_refused_before_anything_is_installed(tmp_path: Path) -> None:
    # Given a service whose requirements.txt changed after its lock was made
    for service in ("connect", "messaging", "broadcast"):
        (tmp_path / service).mkdir()
        (tmp_path / service / "requirements.txt").write_text("pydantic>=2.6\n")
    (tmp_path / "connect" / "requirements.lock").write_text(
        f"{LOCK_SOURCE_LINE}{source_digest(tmp_path / 'connect' / 'requirements.txt')}\n"
    )
    (tmp_path / "connect" / "requirements.txt").write_text("pydantic>=2.7\n")
    # Then the build says which lock and what to run
    with pytest.raises(PackagingError, match=r"connect/requirements\.lock.*python -m infra\.lock"):
        build(["connect"], tmp_path / "out", root=tmp_path)
    assert not is_current("messaging", tmp_path)  # no lock at all is stale too


def test_unknown_service_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown service"):
        build(["billing"], tmp_path)


def test_a_failed_install_says_what_and_for_which_target(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{tmp_path / 'no-such-project'}\n")
    with pytest.raises(PackagingError, match=r"for Python 3\.12 \(manylinux2014_x86_64\)"):
        pip_install(requirements, tmp_path / "target", Target())
