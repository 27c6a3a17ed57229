"""The local stack's secrets are readable by their user only (issue #15 §7): stack.json
(it holds a producer token), the signing key and the local AWS secret are 0600."""

from __future__ import annotations

import os
import stat

from infra.local.handlers import local_credentials
from infra.local.layout import credentials_file
from infra.local.stackfile import write_private_json
from mediaday.keys import ensure_key_file


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stack_json_is_written_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        write_private_json(tmp_path / "stack.json", {"tokens": {"producer": "secret"}})
        write_private_json(tmp_path / "stack.json", {"tokens": {"producer": "again"}})  # rewritten
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "stack.json") == 0o600
    assert not (tmp_path / "stack.tmp").exists()


def test_a_key_file_is_created_0600_and_a_wider_one_is_tightened(tmp_path):
    created = tmp_path / "signing-key"
    ensure_key_file(created)
    assert _mode(created) == 0o600
    older = tmp_path / "older-key"
    older.write_text("k" * 64)
    older.chmod(0o644)
    assert ensure_key_file(older) == b"k" * 64
    assert _mode(older) == 0o600


def test_the_local_aws_secret_is_random_per_data_dir_stable_and_0600(tmp_path):
    first = local_credentials(tmp_path / "a")
    assert local_credentials(tmp_path / "a") == first
    assert local_credentials(tmp_path / "b").secret_key != first.secret_key
    assert len(first.secret_key) == 64 and first.secret_key != "local"
    assert _mode(credentials_file(tmp_path / "a")) == 0o600
