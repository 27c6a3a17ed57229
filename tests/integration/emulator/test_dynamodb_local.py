"""DynamoDB Local as the stack runs it: found, started, stopped, and durable under kill -9."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import boto3
import pytest

from infra.local.dynamodb import (
    JAR_ENV,
    JAVA_OPTIONS_ENV,
    DynamoDBLocal,
    DynamoDBLocalError,
    find_jar,
    java_major_version,
)
from mediaday.tables import create_tables


@pytest.mark.parametrize(
    ("banner", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ("something else", None),
    ],
)
def test_java_major_version_reads_the_version_banner(banner, major):
    assert java_major_version(banner) == major


def test_a_missing_jar_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(JAR_ENV, raising=False)
    with pytest.raises(DynamoDBLocalError, match="make install"):
        find_jar(tmp_path)
    monkeypatch.setenv(JAR_ENV, str(tmp_path / "nope.jar"))
    with pytest.raises(DynamoDBLocalError, match="is not a file"):
        find_jar(tmp_path)


def test_missing_java_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DynamoDBLocalError, match="openjdk-17-jre-headless"):
        DynamoDBLocal(tmp_path).start()


@pytest.mark.slow
def test_an_acknowledged_transaction_survives_kill_9_with_the_commit_barrier(tmp_path):
    # DynamoDB Local answers a transaction before its COMMIT runs; without the barrier a
    # kill right after the answer loses it about one time in three (one round here, to
    # keep the suite fast; the e2e kill -9 test repeats the check through the stack).
    key = {"pk": {"S": "p"}, "sk": {"S": "x"}}
    for round_ in range(1):
        database = DynamoDBLocal(tmp_path)
        database.start()
        session = boto3.Session(
            region_name="eu-west-1", aws_access_key_id="l", aws_secret_access_key="l"
        )
        database.install_commit_barrier(session)
        client = session.client("dynamodb", endpoint_url=database.endpoint)
        if round_ == 0:
            create_tables(client, connections="conns", coordination="coord")
        item = {**key, "sk": {"S": f"round-{round_}"}}
        client.transact_write_items(TransactItems=[{"Put": {"TableName": "coord", "Item": item}}])
        os.kill(database._process.pid, signal.SIGKILL)
        database._process.wait()
        database._process = None
        database.stop()
        database = DynamoDBLocal(tmp_path)
        database.start()
        try:
            stored = database.client().get_item(
                TableName="coord", Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True
            )
            assert "Item" in stored
        finally:
            database.stop()


def test_the_jvm_takes_extra_options_from_the_environment_and_still_serves(tmp_path, monkeypatch):
    # Given the options `make test` passes (shell-quoted: one holds a space)
    monkeypatch.setenv(JAVA_OPTIONS_ENV, "-XX:TieredStopAtLevel=1 '-Dmediaday.note=short lives'")
    database = DynamoDBLocal(tmp_path)
    database.start()
    try:
        # Then the JVM runs with them, before the class it launches, and answers
        assert database._process is not None
        arguments = Path(f"/proc/{database._process.pid}/cmdline").read_bytes().split(b"\0")
        assert arguments[1:3] == [b"-XX:TieredStopAtLevel=1", b"-Dmediaday.note=short lives"]
        assert database.client().list_tables()["TableNames"] == []
    finally:
        database.stop()


@pytest.mark.slow
def test_a_killed_jvms_native_library_stays_in_the_data_dir_and_the_next_start_clears_it(
    tmp_path,
):
    def native_copies() -> set[str]:
        return {path.name for path in database.scratch_dir.glob("*.so")}

    # Given a database that has used SQLite (its JVM unpacks the native library on first use)
    database = DynamoDBLocal(tmp_path)
    database.start()
    create_tables(database.client(), connections="conns", coordination="coord")
    first = native_copies()
    assert len(first) == 1, first
    # When its JVM is killed (it cannot delete its copy) and the database starts again
    assert database._process is not None
    os.kill(database._process.pid, signal.SIGKILL)
    database._process.wait()
    database._process = None
    assert native_copies() == first
    database.start()
    try:
        database.client().list_tables()
        database.client().describe_table(TableName="coord")
        # Then the killed JVM's copy is gone: nothing piles up in the data dir, none in /tmp
        assert not native_copies() & first
        assert not (Path(tempfile.gettempdir()) / next(iter(first))).exists()
    finally:
        database.stop()
    # And a clean stop leaves no copy at all
    assert native_copies() == set()
