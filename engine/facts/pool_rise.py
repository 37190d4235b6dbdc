"""How Pool Nonpaged Bytes rose across a perfmon capture, and whether it rose the way a leak makes it.

A leaking driver takes a little more pool all the time and gives none of it back, so the
counter climbs across the capture and never falls far. A pool that sits flat and then
jumps once is something else: a driver loading, or a burst of connections still open when
the capture ended. So a rise counts as steady only when all of these hold:

- there are enough samples to see a trend (`MIN_SAMPLES`);
- the pool grew by 5% or more of where it started;
- it never fell back by more than a quarter of that growth;
- no tenth of the capture holds more than 40% of the growth (a stretch between two samples
  further apart than that counts as one piece, since nothing shows what happened inside it).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

MIN_SAMPLES = 6
MIN_GROWTH_OF_START = 0.05
MAX_FALL_OF_GROWTH = 0.25
WINDOW_OF_CAPTURE = 0.1
MAX_BURST_OF_GROWTH = 0.4


@dataclass(frozen=True)
class Rise:
    """What the samples showed, in MB."""

    samples: int
    growth: float
    # The largest drop from the highest value seen so far.
    fall: float
    # The most the pool rose within a tenth of the capture, and between which samples.
    burst: float
    burst_samples: tuple[int, int]
    burst_from: datetime
    burst_to: datetime
    start: float

    @property
    def burst_share(self) -> float | None:
        """The share of the growth that came in the busiest tenth of the capture."""
        return min(self.burst / self.growth, 1.0) if self.growth > 0 else None

    @property
    def steady(self) -> bool:
        share = self.burst_share
        return (self.samples >= MIN_SAMPLES and self.growth > 0 and self.growth >= MIN_GROWTH_OF_START * self.start
                and self.fall <= MAX_FALL_OF_GROWTH * self.growth
                and share is not None and share <= MAX_BURST_OF_GROWTH)


def rise_of(times: list[datetime], values: list[float]) -> Rise:
    """The rise of samples in time order (values in MB).

    >>> from datetime import timedelta
    >>> t = [datetime(2015, 3, 10, 8) + timedelta(minutes=i) for i in range(21)]
    >>> climb = rise_of(t, [400 + 2 * i for i in range(21)])
    >>> climb.growth, climb.burst, climb.steady
    (40, 4, True)
    >>> jump = rise_of(t, [400] * 19 + [440, 440])
    >>> jump.growth, jump.burst_share, jump.steady, jump.burst_from.minute, jump.burst_to.minute
    (40, 1.0, False, 18, 19)
    """
    peak, fall = values[0], 0.0
    for value in values:
        peak = max(peak, value)
        fall = max(fall, peak - value)
    burst, since, until = _largest_burst(times, values)
    return Rise(len(values), values[-1] - values[0], fall, burst, (since, until), times[since], times[until], values[0])


def _largest_burst(times: list[datetime], values: list[float]) -> tuple[float, int, int]:
    """The largest rise from an earlier sample within a tenth of the capture (or from the one
    just before), with the two sample indices: one pass with a sliding-window minimum."""
    window = (times[-1] - times[0]) * WINDOW_OF_CAPTURE
    lows: deque[int] = deque()
    best, since, until = 0.0, 0, 0
    first = 0
    for j in range(1, len(values)):
        while lows and values[lows[-1]] >= values[j - 1]:
            lows.pop()
        lows.append(j - 1)
        while first < j - 1 and times[first] < times[j] - window:
            first += 1
        while lows[0] < first:
            lows.popleft()
        rise = values[j] - values[lows[0]]
        if rise > best:
            best, since, until = rise, lows[0], j
    return best, since, until
