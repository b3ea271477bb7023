"""The current time, replaceable in tests (config NOW_FUNCTION) so no test has to sleep, and the
university's time zone (config TIME_ZONE).

Times are stored in UTC (naive datetimes); people type and read them in the university's zone.
Every module takes the time from here: `utcnow` is the real clock, `now` the one tests can set.
`to_local` and `to_utc` are the only conversions between the two, and `today()` is the
university's calendar day, which is what plans, waves and terms are written in.
"""
from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Almaty"


def utcnow() -> datetime:
    """Return the wall-clock UTC time as a naive datetime (the form every stored time takes)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def now() -> datetime:
    """Return the current UTC time (naive), or the configured test clock's."""
    return current_app.config.get("NOW_FUNCTION", utcnow)()


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The university's time zone (TIME_ZONE; Asia/Almaty outside an application)."""
    name = current_app.config.get("TIME_ZONE") if has_app_context() else None
    return _zone(name or DEFAULT_ZONE)


def to_local(moment: datetime) -> datetime:
    """A stored UTC moment as the university's wall-clock time (aware, in its zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone())


def to_utc(wall_clock: datetime) -> datetime:
    """A wall-clock time typed at the university, as the naive UTC moment we store."""
    if wall_clock.tzinfo is None:
        wall_clock = wall_clock.replace(tzinfo=zone())
    return wall_clock.astimezone(timezone.utc).replace(tzinfo=None)


def local_date(moment: datetime) -> date:
    """The university's calendar day at a stored UTC moment."""
    return to_local(moment).date()


def today() -> date:
    """The university's calendar day now (by the test clock when one is set)."""
    return local_date(now())


def day_start(day: date) -> datetime:
    """The stored UTC moment at which the university's calendar day `day` begins."""
    return to_utc(datetime.combine(day, datetime.min.time()))
