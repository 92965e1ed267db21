"""How long to wait before trying again: exponential backoff, and what a server's Retry-After asks for.

Pure functions with no Django import, shared by task retries, the Kubernetes pod launcher and watcher,
and any app that retries a delivery.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime


def exponential_backoff(attempt: int, *, base: float, factor: float = 2, cap: float | None = None) -> float:
    """`base * factor ** attempt` (attempt 0 waits `base`), never more than `cap` when one is given.

    Jitter is left to the caller, which knows whether many clients may retry in step.
    """
    try:
        delay = float(base * factor**attempt)
    except OverflowError:  # thousands of attempts: beyond any float, so beyond any cap
        delay = math.inf
    return delay if cap is None else min(delay, cap)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date.

    A moment already past, or a negative number, means "now" (0); a missing or unreadable header is
    None, so that the caller falls back to its own backoff.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)
