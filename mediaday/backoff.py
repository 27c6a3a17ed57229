"""The one backoff formula every retry loop in the project uses: capped, full jitter.

Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): retry n waits
uniform(0, min(cap, base * factor^(n-1))). Spreading every retry over the whole window is
what stops fifty kiosks (or fifty Lambda workers) coming back in lockstep; a delay without
jitter only moves the stampede. Callers pass their own random source so tests are exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Uniform = Callable[[float, float], float]

# The OS's generator, read at each draw: a generator seeded at import would be copied into
# every environment Lambda SnapStart restores from one snapshot ($connect), and they would
# all draw the same "random" waits, back in lockstep (docs/reliability.md, SnapStart).
_SYSTEM_RANDOM = random.SystemRandom()


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter, parametrised by base and cap."""

    base: float
    cap: float
    factor: float = 2.0

    def window(self, attempt: int) -> float:
        """The upper bound of the wait before retry `attempt` (1 for the first retry)."""
        return min(self.cap, self.base * self.factor ** max(0, attempt - 1))

    def delay(self, attempt: int, uniform: Uniform | None = None) -> float:
        """Seconds to wait before retry `attempt`: uniform over [0, window(attempt)]."""
        draw = uniform or _SYSTEM_RANDOM.uniform
        return draw(0.0, self.window(attempt))
