"""How big each scenario runs: smoke-sized inside `make test`, full-sized in `make soak`.

`MEDIADAY_SOAK=1` selects the full sizes; any single figure can be overridden with
`MEDIADAY_RELIABILITY_<FIELD>` (e.g. `MEDIADAY_RELIABILITY_LOAD_CLIENTS=400`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

SOAK_VAR = "MEDIADAY_SOAK"
OVERRIDE_PREFIX = "MEDIADAY_RELIABILITY_"


@dataclass(frozen=True)
class Sizes:
    name: str
    # Load: clients of every role, changes from several producers at once
    load_clients: int
    load_producers: int
    load_changes: int
    hot_slots: int
    # Network faults through the proxy: clients, changes per fault phase
    network_clients: int
    network_changes: int
    outage_seconds: float
    # Broadcaster faults: clients, changes per fault
    broadcaster_clients: int
    broadcaster_changes: int
    # Process faults: clients, changes in the burst, acks before the kill
    process_clients: int
    process_changes: int
    kill_after_acks: int
    # Lifetime limits: clients, how long, the stack's shortened limits (seconds)
    lifetime_clients: int
    lifetime_seconds: float
    lifetime_limit: float
    idle_timeout: float
    # Bad input at volume: fuzzed frames, hostile connections, honest clients meanwhile
    fuzz_frames: int
    fuzz_hostiles: int
    fuzz_clients: int
    fuzz_changes: int
    # Slow server: clients; seconds before, during and after every invocation is delayed
    # by `slow_delay` (above the scenario's request timeout)
    slow_clients: int
    slow_before: float
    slow_seconds: float
    slow_after: float
    slow_delay: float
    # Every scenario: how long clients may take to converge
    converge_timeout: float


SMOKE = Sizes(
    name="smoke",
    load_clients=24,
    load_producers=3,
    load_changes=40,
    hot_slots=2,
    network_clients=8,
    network_changes=12,
    outage_seconds=1.5,
    broadcaster_clients=8,
    broadcaster_changes=12,
    process_clients=6,
    process_changes=24,
    kill_after_acks=8,
    lifetime_clients=6,
    lifetime_seconds=6.0,
    lifetime_limit=4.0,
    idle_timeout=3.0,
    fuzz_frames=1500,
    fuzz_hostiles=4,
    fuzz_clients=6,
    fuzz_changes=12,
    slow_clients=12,
    slow_before=3.0,
    slow_seconds=8.0,
    slow_after=3.0,
    slow_delay=3.0,
    converge_timeout=30.0,
)

FULL = Sizes(
    name="full",
    load_clients=200,
    load_producers=8,
    load_changes=500,
    hot_slots=3,
    network_clients=60,
    network_changes=120,
    outage_seconds=6.0,
    broadcaster_clients=60,
    broadcaster_changes=120,
    process_clients=50,
    process_changes=300,
    kill_after_acks=80,
    lifetime_clients=40,
    lifetime_seconds=90.0,
    lifetime_limit=6.0,
    idle_timeout=4.0,
    fuzz_frames=10_000,
    fuzz_hostiles=10,
    fuzz_clients=40,
    fuzz_changes=150,
    slow_clients=60,
    slow_before=10.0,
    slow_seconds=60.0,
    slow_after=10.0,
    slow_delay=3.0,
    converge_timeout=300.0,
)


def soak_selected(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `MEDIADAY_SOAK` asks for the full sizes (`make soak`)."""
    env = os.environ if environ is None else environ
    return env.get(SOAK_VAR, "").lower() in ("1", "true", "yes")


def current_sizes(environ: dict[str, str] | None = None) -> Sizes:
    env = dict(os.environ if environ is None else environ)
    sizes = FULL if soak_selected(env) else SMOKE
    overrides: dict[str, Any] = {}
    for spec in fields(Sizes):
        raw = env.get(OVERRIDE_PREFIX + spec.name.upper())
        if raw is None or spec.name == "name":
            continue
        overrides[spec.name] = float(raw) if spec.type in ("float", float) else int(raw)
    return replace(sizes, **overrides) if overrides else sizes
