"""The local stack's fixed names, in one home: the data directory's files, the tables, the
region, the stage and the demo media day.

`mediaday serve` (infra/local/stack.py), `mediaday token`, the stack runner
(infra/local/runner.py), the tests and the benchmarks all read them here, so moving a file
or renaming a table is one edit. Plain values only: importing this module loads nothing of
the emulator, which keeps `mediaday token` fast.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATA_DIR = Path(".mediaday")
# The media day the demo seeds, the stack's tokens name and `mediaday token` defaults to.
DEFAULT_MEDIA_DAY = "cbtc-2026"
# The region every local client and event claims; nothing local depends on which one.
REGION = "eu-west-1"
STAGE = "local"
CONNECTIONS_TABLE = "mediaday-connections"
COORDINATION_TABLE = "mediaday-coordination"

# Files under the data directory (the stream poller's checkpoint and dead letters are
# named beside the poller, in infra/local/streams.py).
KEY_FILE_NAME = "signing-key"
CREDENTIALS_FILE_NAME = "aws-secret"
LOCAL_ACCESS_KEY_ID = "local"
STACK_FILE_NAME = "stack.json"
SERVE_LOG_NAME = "serve.log"
DYNAMODB_DIR_NAME = "dynamodb"
DYNAMODB_LOG_NAME = "dynamodb-local.log"


def key_file(data_dir: Path) -> Path:
    """The local signing key, created on first use (mediaday.keys.FileKeyProvider)."""
    return data_dir / KEY_FILE_NAME


def credentials_file(data_dir: Path) -> Path:
    """The secret half of the stack's local AWS credentials (0600, random, created on first
    use): its handlers sign `@connections` calls with it and the emulator checks them."""
    return data_dir / CREDENTIALS_FILE_NAME


def stack_file(data_dir: Path) -> Path:
    """stack.json: URLs and tokens of a running stack; gone once it stops."""
    return data_dir / STACK_FILE_NAME


def serve_log(data_dir: Path) -> Path:
    """Where the stack runner sends the output of `mediaday serve`."""
    return data_dir / SERVE_LOG_NAME


def dynamodb_dir(data_dir: Path) -> Path:
    """DynamoDB Local's SQLite database."""
    return data_dir / DYNAMODB_DIR_NAME


def dynamodb_scratch_dir(data_dir: Path) -> Path:
    """DynamoDB Local's JVM temporary directory: each start unpacks its SQLite native
    library there (~900 KB), and a JVM that is killed cannot delete its copy."""
    return data_dir / DYNAMODB_DIR_NAME / "tmp"


def dynamodb_log(data_dir: Path) -> Path:
    """DynamoDB Local's own output."""
    return data_dir / DYNAMODB_LOG_NAME
