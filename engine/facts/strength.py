"""How strongly evidence shows a symptom: a number from 0 to 1, and the same in words.

A rule such as "ConnLimit was logged" is as sure as its symptom is plain: one line in
two days is worth a look, 300 lines in ten minutes are an outage. Four signs are
combined as independent votes (`1 - (1-a)(1-b)...`):

* volume: entries in the whole log (100 entries give 0.63);
* rate: entries per hour over the log's own span, its baseline (10 an hour give 0.63);
* burst: the most entries in any 10 minutes (10 give 0.63);
* share: the entries against the IIS requests in the same minutes (10% give 0.63).
"""
from __future__ import annotations

import math
from typing import Iterable

from ..plurals import counted
from ..templates import share_text

MINUTES_PER_WINDOW = 10


def vote(value: float, scale: float) -> float:
    return 1.0 - math.exp(-max(value, 0.0) / scale)


def strength(entries: int, windows: Iterable[int], span_minutes: float, share: float | None = None) -> float:
    """Combine volume, rate over the log's span, the busiest 10 minutes and the share of requests.

    >>> round(strength(1, [1], 2 * 1440), 2)            # one line in two days
    0.11
    >>> round(strength(900, [62], 330, share=0.4), 2)    # an outage
    1.0
    """
    if entries <= 0:
        return 0.0
    burst = max(windows, default=0)
    rate = entries / max(span_minutes, 60.0) * 60.0
    signs = [vote(entries, 100), vote(rate, 10), vote(burst, 10)]
    if share is not None:
        signs.append(vote(share, 0.1))
    missing = 1.0
    for sign in signs:
        missing *= 1.0 - sign
    return round(1.0 - missing, 3)


def duration_words(minutes: float) -> str:
    """A span of time the way a person says it.

    >>> duration_words(1), duration_words(45), duration_words(150), duration_words(2 * 1440 - 1)
    ('1 minute', '45 minutes', '2.5 hours', '2 days')
    """
    if minutes < 90:
        n = max(round(minutes), 1)
        return f"{n} minute{'s' if n != 1 else ''}"
    if minutes < 36 * 60:
        hours = minutes / 60
        return f"{hours:.1f}".rstrip("0").rstrip(".") + " hours"
    days = minutes / 1440
    return f"{days:.1f}".rstrip("0").rstrip(".") + " days"


def strength_words(entries: int, burst: int, span_minutes: float, share: float | None = None,
                   window: str | None = None) -> str:
    """The strength in words a help desk reads at a glance.

    >>> strength_words(1, 1, 2 * 1440)
    '1 entry in 2 days of log'
    >>> strength_words(901, 62, 340, share=0.42, window="18:40-21:10")
    '901 entries in 5.7 hours of log (159 an hour), at most 62 in 10 minutes; 42% of all requests 18:40-21:10'
    """
    text = f"{counted(entries, 'entry')} in {duration_words(max(span_minutes, 1))} of log"
    rate = entries / max(span_minutes, 60.0) * 60.0
    if entries > 1:
        text += f" ({rate:.0f} an hour)" if rate >= 1 else f" ({rate:.2f} an hour)"
    if burst > 1:
        text += f", at most {burst:,} in {MINUTES_PER_WINDOW} minutes"
    if share is not None and window:
        text += f"; {share_text(share)} of all requests {window}"
    return text
