"""Cron schedules read in a project's own time zone (croniter does the reading).

A slot is the moment a schedule names, in UTC. The worker queues a run for a
slot when it comes (see :mod:`uxlab.audits.queue`); a slot missed while every
worker was down is run once when they come back: only the latest slot due is
queued, never one run per slot missed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, croniter

from uxlab.errors import UxlabError

__all__ = ["ScheduleError", "check_schedule", "latest_slot", "slots_between"]


class ScheduleError(UxlabError):
    """A cron expression or time zone that cannot be read."""

    code = "invalid_schedule"


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {timezone!r}; use a name such as Europe/Berlin or UTC"
        ) from None


def check_schedule(expression: str, timezone: str) -> None:
    """Raise :class:`ScheduleError` unless ``expression`` is a five-field cron line.

    >>> check_schedule("0 3 * * *", "Europe/Berlin")
    >>> try:
    ...     check_schedule("0 25 * * *", "UTC")
    ... except ScheduleError as exc:
    ...     print(exc)
    bad schedule '0 25 * * *': [0 25 * * *] is not acceptable, out of range
    """
    _zone(timezone)
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"bad schedule {expression!r}: a cron line has five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"
        )
    try:
        croniter(expression)
    except (CroniterBadCronError, ValueError, KeyError) as exc:
        raise ScheduleError(f"bad schedule {expression!r}: {exc}") from None


def latest_slot(expression: str, timezone: str, now: datetime) -> datetime:
    """The last slot at or before ``now``, in UTC.

    >>> latest_slot("0 3 * * *", "Europe/Berlin",
    ...             datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    datetime.datetime(2026, 7, 1, 1, 0, tzinfo=datetime.timezone.utc)
    """
    local = now.astimezone(_zone(timezone))
    # One second on, so a slot exactly at ``now`` counts as reached.
    slot: datetime = croniter(expression, local + timedelta(seconds=1)).get_prev(
        datetime
    )
    return slot.astimezone(UTC)


def slots_between(
    expression: str, timezone: str, start: datetime, end: datetime
) -> list[datetime]:
    """The slots after ``start`` up to and including ``end``, in UTC."""
    it = croniter(expression, start.astimezone(_zone(timezone)))
    found: list[datetime] = []
    while True:
        slot: datetime = it.get_next(datetime)
        if slot > end:
            return found
        found.append(slot.astimezone(UTC))
