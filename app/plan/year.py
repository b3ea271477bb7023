"""Rules of a plan year in the plan's own terms: reading a term into periods, moving texts a year on,
and which period changes participation already recorded forbids."""
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.plan.models import Activity, Participation
from app.plan.terms import MONTHS, parse_term

_WORDS_THAT_NAME_A_DATE = re.compile(r"\b(till|until|from|\d{4})\b|" + "|".join(MONTHS))


@dataclass
class TermReading:
    """What a term says in a given academic year: its periods, or why it cannot be read."""

    periods: list[tuple[date, date]] = field(default_factory=list)
    problem: str | None = None       # the term cannot be used (shown at the field, blocks saving)
    outside: bool = False            # a period lies (partly) outside the academic year: shown, allowed


def read_term(text: str, starts_on: date, ends_on: date) -> TermReading:
    """Read a term into its periods within the academic year, flagging a term that names a date it cannot read.

    `parse_term` reads anything it does not recognise as "the whole year" — right for "Within the
    year", wrong for "Till Febuary 15" — so a term that names a month, a year or a deadline but
    comes out as the whole year is refused here, as is a date that does not exist (February 30)."""
    term = " ".join((text or "").lower().split())
    try:
        periods = parse_term(text, starts_on, ends_on)
    except ValueError:
        return TermReading(problem=str(_l("names a day that does not exist")))
    if (periods == [(starts_on, ends_on)] and _WORDS_THAT_NAME_A_DATE.search(term)
            and "quarterly" not in term and not term.startswith("monthly")):
        return TermReading(periods, problem=str(_l(
            "is not understood: write a deadline such as “Till January 15”, a month such as “May 2026”, "
            "“Quarterly”, “Monthly” or “Within the year”")))
    if any(start > end for start, end in periods):
        return TermReading(periods, problem=str(_l("a period ends before it begins (before the academic year starts)")))
    outside = any(start < starts_on or end > ends_on for start, end in periods)
    return TermReading(periods, outside=outside)


def shift_years(value, years: int, calendar_years: tuple[int, ...]):
    """Move every mention of `calendar_years` (a plan's 2024 and 2025) in the strings of a JSON-like value."""
    if not years:
        return value
    if isinstance(value, str):
        pattern = re.compile(r"\b(%s)\b" % "|".join(str(year) for year in calendar_years))
        return pattern.sub(lambda match: str(int(match[1]) + years), value)
    if isinstance(value, dict):
        return {key: shift_years(item, years, calendar_years) for key, item in value.items()}
    if isinstance(value, list):
        return [shift_years(item, years, calendar_years) for item in value]
    return value


def next_day_a_year_on(day: date, years: int = 1) -> date:
    """The same day `years` later (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def periods_with_participation(activity: Activity, new_periods: list[tuple[date, date]]) -> list[int]:
    """The numbers of the activity's periods that `new_periods` would change and that people already took part in.

    Participation rows name their period by number: changing a period's dates, or dropping it,
    would move or orphan what was counted, so such a change is refused."""
    wanted = dict(enumerate(new_periods, start=1))
    changed = [p.number for p in activity.periods if wanted.get(p.number) != (p.starts_on, p.ends_on)]
    if not changed or activity.id is None:
        return []
    return sorted(db.session.execute(select(Participation.period).distinct().where(
        Participation.activity_id == activity.id, Participation.period.in_(changed))).scalars())
