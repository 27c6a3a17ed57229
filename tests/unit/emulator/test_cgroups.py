"""`make soak-slow`'s cgroups: a process joins its cgroup before the command starts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from infra.local.cgroups import in_cgroup


def test_the_command_runs_after_its_own_pid_joined_the_cgroup(tmp_path: Path) -> None:
    cgroup = tmp_path / "capped"
    cgroup.mkdir()
    (cgroup / "cgroup.procs").write_text("")
    command = in_cgroup(
        ["/bin/sh", "-c", 'echo "$$"; cat "$0/cgroup.procs"', str(cgroup)], str(cgroup)
    )
    shown = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    # the pid written to the cgroup is the command's own (the shell exec'd it)
    assert shown[0] == shown[1] == (cgroup / "cgroup.procs").read_text().strip()


def test_without_a_cgroup_the_command_is_unchanged() -> None:
    assert in_cgroup(["java", "-version"], None) == ["java", "-version"]
    assert in_cgroup(["java", "-version"], "") == ["java", "-version"]


def test_a_cgroup_that_cannot_be_joined_stops_the_command(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-cgroup"
    command = in_cgroup(["/bin/sh", "-c", "echo ran"], str(missing))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "ran" not in result.stdout
