"""7. The cost of one signed `POST @connections`: the service's poster against a bare POST.

Sequential posts of one 500-byte frame to a local HTTP endpoint in its own process
(bench/broadcast_throughput.py's fake `@connections`, 0 ms per post), keep-alive, each
strategy in turn and the whole sequence repeated, in one run:

- bare:      the reference: `http.client` sending the same request, headers and bytes,
             signed once up front (so: no signing, no pool, no error mapping per post);
- one-send floor: the poster's transport (mediaday.keepalive) sending that presigned
             request: what is left of a post without signing and without the poster;
- poster:    the service's `mediaday.poster.ManagementApiPoster`: mediaday.sigv4 (the day's
             signing key cached) over mediaday.keepalive (one send per request);
- botocore:  what the poster did before: botocore's `SigV4Auth` per post over urllib3;
- boto3:     `post_to_connection` of a boto3 client (the AWS sample's way);
- awscrt:    AWS's Common Runtime signer and HTTP client, when `awscrt` is installed
             (it is not a dependency: `pip install awscrt` to include it).

Per post: wall time (what a sequential sender waits, the endpoint's share included) and
the client process's CPU time (what a fan-out, CPU-bound on the client, is limited by).

    .venv/bin/python -m bench.poster_cost [--smoke] [--json PATH]
"""

from __future__ import annotations

import http.client
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import quote, urlsplit

from bench.common import Outcome, bare_post, benchmark_main, bounded_figure, offline_aws_env

TARGET_RATIO = 1.3
CONNECTION_ID = "L0SM9cOFvHcCIhw="
BODY = b'{"type":"events","changes":[{"topics":["schedule"],"item":"' + b"x" * 440 + b'"}]}'


@dataclass(frozen=True)
class Plan:
    posts: int
    rounds: int


FULL = Plan(posts=2000, rounds=5)
SMOKE = Plan(posts=50, rounds=1)

Post = Callable[[], None]


def _strategies(url: str) -> dict[str, Post]:
    """name → one post, each on its own keep-alive connection."""
    import urllib3  # noqa: PLC0415
    from botocore.auth import SigV4Auth  # noqa: PLC0415
    from botocore.awsrequest import AWSRequest  # noqa: PLC0415
    from botocore.credentials import Credentials  # noqa: PLC0415

    from bench.broadcast_throughput import Boto3Poster  # noqa: PLC0415
    from mediaday.keepalive import KeepAlivePool  # noqa: PLC0415
    from mediaday.poster import SIGNING_SERVICE, ManagementApiPoster  # noqa: PLC0415
    from mediaday.sigv4 import SigV4Signer, host_of  # noqa: PLC0415

    credentials = Credentials("AKIDEXAMPLE", "secret-example", "session-token-example")
    parts = urlsplit(url)
    path = f"{parts.path}/@connections/{quote(CONNECTION_ID, safe='')}"
    bare_connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    # The same request on the wire, signed once up front (a signature holds five minutes)
    signed_once = SigV4Signer(
        credentials, region="eu-west-1", service=SIGNING_SERVICE, host=host_of(url)
    ).headers("POST", path, BODY)

    bare = bare_post(bare_connection, path, BODY, signed_once)

    floor = KeepAlivePool(
        f"{parts.scheme}://{parts.netloc}", size=1, connect_timeout=2, read_timeout=5
    )
    head = "".join(f"{name}: {value}\r\n" for name, value in signed_once.items())
    presigned = (
        f"POST {path} HTTP/1.1\r\nHost: {host_of(url)}\r\n{head}Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()

    def one_send() -> None:
        if floor.request(presigned, BODY, method="POST") != 200:
            raise RuntimeError("one-send POST failed")

    poster = ManagementApiPoster(url, credentials=credentials, region="eu-west-1", pool_size=1)
    pool = urllib3.PoolManager(num_pools=1, maxsize=1, retries=False)

    def botocore_signer() -> None:
        target = f"{url}{path[len(parts.path) :]}"
        request = AWSRequest(method="POST", url=target, data=BODY)
        SigV4Auth(credentials.get_frozen_credentials(), SIGNING_SERVICE, "eu-west-1").add_auth(
            request
        )
        response = pool.request(
            "POST", target, body=BODY, headers=dict(request.headers.items()), redirect=False
        )
        if response.status != 200:
            raise RuntimeError(f"botocore-signed POST answered {response.status}")

    boto3_poster = Boto3Poster(url, 1)
    strategies: dict[str, Post] = {
        "bare": bare,
        "one-send floor": one_send,
        "poster": lambda: poster.post(CONNECTION_ID, BODY),
        "botocore": botocore_signer,
        "boto3": lambda: boto3_poster.post(CONNECTION_ID, BODY),
    }
    crt = _awscrt_post(url, path, credentials)
    if crt is not None:
        strategies["awscrt"] = crt
    return strategies


def _awscrt_post(url: str, path: str, credentials: Any) -> Post | None:
    """awscrt's SigV4 signer and HTTP client, if installed (evaluated, not a dependency)."""
    try:
        from awscrt import auth, http  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        return None
    parts = urlsplit(url)
    provider = auth.AwsCredentialsProvider.new_static(
        credentials.access_key, credentials.secret_key, credentials.token
    )
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4,
        signature_type=auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=provider,
        region="eu-west-1",
        service="execute-api",
    )
    connection = http.HttpClientConnection.new(host_name=parts.hostname, port=parts.port).result()
    host = parts.netloc

    def post() -> None:
        headers = http.HttpHeaders([("host", host), ("content-length", str(len(BODY)))])
        request = http.HttpRequest("POST", path, headers, BytesIO(BODY))
        auth.aws_sign_request(request, config).result()
        request.body_stream = BytesIO(BODY)
        stream = connection.request(request)
        stream.activate()
        stream.completion_future.result()

    return post


def measure(plan: Plan) -> dict[str, dict[str, Any]]:
    """Per strategy: wall and CPU ms per post, the median over the rounds."""
    offline_aws_env()
    from bench.broadcast_throughput import endpoint  # noqa: PLC0415

    with endpoint(0.0) as server:
        strategies = _strategies(f"{server.url.rstrip('/')}/local")
        walls: dict[str, list[float]] = {name: [] for name in strategies}
        cpus: dict[str, list[float]] = {name: [] for name in strategies}
        for post in strategies.values():  # connections, caches, the endpoint's threads
            for _ in range(max(10, plan.posts // 10)):
                post()
        server.reset()
        for _ in range(plan.rounds):  # interleaved, so a busy moment hits every strategy
            for name, post in strategies.items():
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(plan.posts):
                    post()
                walls[name].append((time.perf_counter() - wall) * 1000 / plan.posts)
                cpus[name].append((time.process_time() - cpu) * 1000 / plan.posts)
        received = server.posts()
    expected = plan.posts * plan.rounds * len(strategies)
    if received != expected:
        raise SystemExit(f"the endpoint saw {received} posts, expected {expected}")
    return {
        name: {
            "wall_ms": round(statistics.median(walls[name]), 4),
            "cpu_ms": round(statistics.median(cpus[name]), 4),
            "wall_all": [round(v, 4) for v in walls[name]],
            "cpu_all": [round(v, 4) for v in cpus[name]],
            "posts": plan.posts * plan.rounds,
        }
        for name in strategies
    }


def run(smoke: bool) -> Outcome:
    plan = SMOKE if smoke else FULL
    costs = measure(plan)
    bare, poster = costs["bare"], costs["poster"]
    figures = [
        bounded_figure(
            "7 poster",
            f"signed POST @connections, {what}",
            poster[key],
            bare[key],
            "bare unsigned POST",
            TARGET_RATIO,
            digits=4,
        )
        for key, what in (
            ("wall_ms", "wall ms per sequential post"),
            ("cpu_ms", "client CPU ms per post"),
        )
    ]
    notes = [
        f"{name}: {c['wall_ms']:.3f} ms wall ({c['wall_ms'] / bare['wall_ms']:.2f}x), "
        f"{c['cpu_ms']:.3f} ms CPU ({c['cpu_ms'] / bare['cpu_ms']:.2f}x) per post"
        for name, c in costs.items()
    ]
    if "awscrt" not in costs:
        notes.append("awscrt not installed: its row is left out (pip install awscrt)")
    return Outcome(
        benchmark="poster_cost",
        figures=figures,
        parameters={"posts": plan.posts, "rounds": plan.rounds, "body_bytes": len(BODY)},
        details={"costs": costs},
        notes=notes,
    )


if __name__ == "__main__":
    benchmark_main("poster_cost", run, __doc__.splitlines()[0])
