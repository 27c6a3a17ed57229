"""CPU-capped cgroups for `make soak-slow`: the stack runs as on a machine ~3x slower.

Two cgroups, one per process that does the stack's work: `mediaday serve` (gateway,
handlers, the broadcaster process) joins `MEDIADAY_STACK_CGROUP`, and DynamoDB Local joins
`MEDIADAY_DATABASE_CGROUP`. Each is held to a third of a core, the share of one core a
2-core machine three times slower gives. One cgroup for both starved the JVM (it needs
about twice the stack's CPU): its reads timed out at boto's 5 s, which measured a
database that cannot keep up, not a slow server the clients must ride out.

A process joins before it starts (the shell writes its own pid, then execs the command),
so everything it starts stays in the cgroup unless it joins another.
"""

from __future__ import annotations

STACK_CGROUP_VAR = "MEDIADAY_STACK_CGROUP"
DATABASE_CGROUP_VAR = "MEDIADAY_DATABASE_CGROUP"

_JOIN = 'echo $$ > "$0/cgroup.procs" && exec "$@"'


def in_cgroup(command: list[str], cgroup: str | None) -> list[str]:
    """`command`, run inside `cgroup` (a cgroup v1 or v2 directory) when one is given."""
    if not cgroup:
        return list(command)
    return ["/bin/sh", "-c", _JOIN, cgroup, *command]
