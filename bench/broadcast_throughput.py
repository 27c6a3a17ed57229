"""Deliveries per second for one stream record fanned out to N subscribers.

The Management API is a local HTTP server on 127.0.0.1 that takes `--delay-ms` per post
(API Gateway's round trip); the connections table is moto's, in process. Two strategies,
same run:

- fan-out:  broadcast.fanout as the Lambda runs it (one Query per topic, a bounded thread
            pool of `--workers` sharing the service's signed Management API poster);
- naive:    the reference: one Scan of all connections, then one boto3 post after another,
            as the AWS sample does.

    .venv/bin/python bench/broadcast_throughput.py [--subscribers 1000] [--delay-ms 10]

Prints a table and writes JSON to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws

from broadcast.fanout import RetryPolicy, open_fanout
from infra.local.layout import DEFAULT_MEDIA_DAY
from mediaday.aws import management_api_poster
from mediaday.connections import META_SK, ConnectionStore
from mediaday.models import Slot, item_to_dynamo, plain_to_dynamo
from mediaday.observability import logger
from mediaday.poster import Poster
from mediaday.settings import get_settings
from mediaday.tables import create_tables
from mediaday.topics import topics_of

RESULTS = Path(__file__).parent / "results"
CONNECTIONS, COORDINATION = "bench-connections", "bench-coordination"
DAY = DEFAULT_MEDIA_DAY
FAR_FUTURE = 4_000_000_000
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SLOT = Slot(
    media_day=DAY,
    id="sl-1",
    station_id="st-1",
    talent_id="t-1",
    starts_at=START,
    ends_at=START + timedelta(minutes=10),
    title="Warm-up interview",
    version=1,
    rev=1,
)


# -- a fake @connections endpoint, in its own process ----------------------------------------
# API Gateway's work does not compete with the broadcaster for the GIL; neither does this.
class _Endpoint(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _PostHandler)
        self.delay = delay
        self.posts = 0
        self.lock = threading.Lock()


class _PostHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's pool expects
    server: _Endpoint

    def do_POST(self) -> None:
        """POST /<stage>/@connections/<id>: take `delay`, then accept."""
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.posts += 1
        self._answer(b"")

    def do_GET(self) -> None:
        """GET /_posts: how many posts were accepted since the last DELETE."""
        self._answer(str(self.server.posts).encode())

    def do_DELETE(self) -> None:
        with self.server.lock:
            self.server.posts = 0
        self._answer(b"")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve(delay: float, port: Connection) -> None:
    server = _Endpoint(delay)
    port.send(server.server_address[1])
    server.serve_forever()


class RemoteEndpoint:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/local"

    def posts(self) -> int:
        return int(self._call("GET"))

    def reset(self) -> None:
        self._call("DELETE")

    def _call(self, method: str) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, "/_posts")
            return connection.getresponse().read().decode()
        finally:
            connection.close()


@contextmanager
def endpoint(delay: float) -> Iterator[RemoteEndpoint]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(delay, theirs), daemon=True
    )
    process.start()
    try:
        if not ours.poll(30):
            raise SystemExit("the fake endpoint did not start")
        yield RemoteEndpoint(ours.recv())
    finally:
        process.terminate()
        process.join(5)


# -- data ----------------------------------------------------------------------------------
def populate(client: Any, subscribers: int, unrelated: int) -> None:
    rows: list[dict[str, Any]] = []

    def add(connection_id: str, topic: str) -> None:
        rows.append(
            plain_to_dynamo(
                {
                    "pk": f"conn#{connection_id}",
                    "sk": META_SK,
                    "connection_id": connection_id,
                    "media_day": DAY,
                    "role": "kiosk",
                    "subject": "bench",
                    "connected_at": 1_795_615_200_000,
                    "expires_at": FAR_FUTURE,
                    "token_expires_at": FAR_FUTURE,
                }
            )
        )
        rows.append(
            plain_to_dynamo(
                {"pk": f"topic#{DAY}#{topic}", "sk": connection_id, "expires_at": FAR_FUTURE}
            )
        )
        rows.append(
            plain_to_dynamo(
                {
                    "pk": f"conn#{connection_id}",
                    "sk": f"topic#{topic}",
                    "media_day": DAY,
                    "expires_at": FAR_FUTURE,
                }
            )
        )

    for n in range(subscribers):
        add(f"sub-{n:05d}", "schedule")
    for n in range(unrelated):
        add(f"other-{n:05d}", f"shots:st-{n % 20}")
    for start in range(0, len(rows), 25):
        batch = [{"PutRequest": {"Item": row}} for row in rows[start : start + 25]]
        client.batch_write_item(RequestItems={CONNECTIONS: batch})


def stream_record() -> dict[str, Any]:
    """One INSERT of a slot, as Lambda delivers it."""
    image = item_to_dynamo(SLOT)
    return {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": "100000000000000000001",
            "SizeBytes": 300,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": f"arn:aws:dynamodb:eu-west-1:123456789012:table/{COORDINATION}/stream/x",
    }


# -- strategies ----------------------------------------------------------------------------
class Boto3Poster:
    """The AWS sample's client: boto3's `post_to_connection` (the endpoint here answers 200,
    so no error mapping is needed)."""

    def __init__(self, endpoint: str, pool_size: int) -> None:
        config = Config(max_pool_connections=pool_size, retries={"max_attempts": 1})
        self._client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, config=config)

    def post(self, connection_id: str, data: bytes) -> None:
        self._client.post_to_connection(ConnectionId=connection_id, Data=data)

    def close(self, connection_id: str) -> None:
        self._client.delete_connection(ConnectionId=connection_id)


def fanout_once(store: ConnectionStore, poster: Poster, workers: int) -> int:
    with open_fanout(
        directory=store, poster=poster, max_workers=workers, retry=RetryPolicy()
    ) as fanout:
        delivery = fanout.broadcast_record(stream_record())
    assert delivery is not None
    return delivery.delivered


def naive_once(client: Any, poster: Boto3Poster) -> int:
    """The reference: Scan every connection row, keep this record's subscribers, post
    to them one after another."""
    wanted = {f"topic#{DAY}#{topic}" for topic in topics_of(SLOT)}
    subscribers: list[str] = []
    kwargs: dict[str, Any] = {"TableName": CONNECTIONS}
    while True:
        page = client.scan(**kwargs)
        subscribers += [row["sk"]["S"] for row in page["Items"] if row["pk"]["S"] in wanted]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    frame = json.dumps(
        {"type": "event", "topic": "schedule", "item": SLOT.model_dump(mode="json")}
    ).encode()
    for connection_id in subscribers:
        poster.post(connection_id, frame)
    return len(subscribers)


def measure(
    name: str,
    run: Callable[[], int],
    repeats: int,
    client: Any,
    server: RemoteEndpoint,
    expected: int,
) -> dict[str, Any]:
    requests: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        requests[model.name] += 1

    seconds: list[float] = []
    client.meta.events.register("before-call.dynamodb", count)
    try:
        for _ in range(repeats):
            server.reset()
            started = time.perf_counter()
            delivered = run()
            seconds.append(time.perf_counter() - started)
            received = server.posts()
            if delivered != expected or received != expected:
                raise SystemExit(f"{name}: delivered {delivered}, endpoint saw {received}")
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)
    median = statistics.median(seconds)
    return {
        "strategy": name,
        "posts": expected,
        "runs": repeats,
        "seconds_median": round(median, 4),
        "seconds_all": [round(s, 4) for s in seconds],
        "deliveries_per_second": round(expected / median, 1),
        "dynamodb_requests_per_run": {op: n // repeats for op, n in requests.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--unrelated", type=int, default=0, help="connections of other topics")
    parser.add_argument("--delay-ms", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=get_settings().broadcast_max_workers)
    parser.add_argument("--repeats", type=int, default=3, help="fan-out runs (median kept)")
    parser.add_argument("--naive-repeats", type=int, default=1)
    args = parser.parse_args()
    # Never real AWS: moto serves DynamoDB, the endpoint above serves @connections.
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_PROFILE", None)

    logger.setLevel("WARNING")  # one INFO line per record would drown the table
    with mock_aws(), endpoint(args.delay_ms / 1000) as server:
        client = boto3.client("dynamodb")
        create_tables(client, connections=CONNECTIONS, coordination=COORDINATION)
        populate(client, args.subscribers, args.unrelated)
        store = ConnectionStore(CONNECTIONS, client)
        poster = management_api_poster(server.url, args.workers)
        sample = Boto3Poster(server.url, 1)
        fanout_once(store, poster, args.workers)  # warm-up: connections, threads, imports
        results = [
            measure(
                f"fan-out (Query + {args.workers} threads)",
                lambda: fanout_once(store, poster, args.workers),
                args.repeats,
                client,
                server,
                args.subscribers,
            ),
            measure(
                "naive (Scan + sequential posts)",
                lambda: naive_once(client, sample),
                args.naive_repeats,
                client,
                server,
                args.subscribers,
            ),
        ]

    speedup = results[0]["deliveries_per_second"] / results[1]["deliveries_per_second"]
    print(
        f"\nOne stream record to {args.subscribers:,} subscribers "
        f"({args.unrelated:,} unrelated connections), endpoint adds {args.delay_ms:g} ms/post, "
        f"{os.cpu_count()} CPUs\n"
    )
    header = f"{'strategy':<34} {'posts':>6} {'seconds':>8} {'deliveries/s':>13}  DynamoDB requests"
    print(header)
    print("-" * len(header))
    for row in results:
        requests = ", ".join(f"{n} {op}" for op, n in row["dynamodb_requests_per_run"].items())
        print(
            f"{row['strategy']:<34} {row['posts']:>6} {row['seconds_median']:>8.3f} "
            f"{row['deliveries_per_second']:>13,.0f}  {requests}"
        )
    print(f"\nspeed-up: {speedup:.1f}x")

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"broadcast_throughput-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "broadcast_throughput",
                "at": stamp,
                "parameters": vars(args),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "results": results,
                "speedup": round(speedup, 2),
            },
            indent=2,
        )
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
