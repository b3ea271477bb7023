"""The demo's calendar: the seed's plan moved to the academic year that holds today.

`plans/ktu-2024-2025.toml` ships unchanged (it is the university's real 2024-2025 plan). The demo
loads it and then writes a copy for the academic year that holds today — every date moved by the
same whole number of years, and every mention of 2024 and 2025 in its texts and their Kazakh and
Russian translations with them — so the demo's plan, coverage "as of", seasons, survey waves and
contest windows all agree with today.
"""
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core.clock import local_date, to_utc
from app.extensions import db
from app.plan.models import Plan
from app.plan.service import PlanSpec, apply_plan, read_plan
from app.plan.terms import academic_year_of

SEED_PLAN = "ktu-2024-2025"
SEED_YEARS = (2024, 2025)        # the calendar years of the seed's academic year
_SEED_YEAR = re.compile(r"\b(%s)\b" % "|".join(str(year) for year in SEED_YEARS))
# What the demo shows open (a contest's phase, a survey wave, a check-in) stays open at least this long after it is
# made: whoever opens the demo (or a test run) must still find it open an hour later, not see it close at midnight.
STAYS_OPEN = timedelta(days=1)


def shift_text(text: str, years: int) -> str:
    """Move every mention of the seed's years (2024, 2025) in a text by `years`."""
    if not years or not text:
        return text
    return _SEED_YEAR.sub(lambda match: str(int(match[1]) + years), text)


def shift_texts(value, years: int):
    """`shift_text` over the strings of a JSON-like value (translations), keys left alone."""
    if isinstance(value, str):
        return shift_text(value, years)
    if isinstance(value, dict):
        return {key: shift_texts(item, years) for key, item in value.items()}
    if isinstance(value, list):
        return [shift_texts(item, years) for item in value]
    return value


def shift_day(day, years: int):
    """Move a date or datetime by whole years (29 February becomes the 28th)."""
    if day is None or not years:
        return day
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def plan_for_year(spec: PlanSpec, year_start: date) -> PlanSpec:
    """The seed plan's spec moved to the academic year that begins on `year_start`."""
    years = year_start.year - spec.starts_on.year
    if not years:
        return spec
    text = lambda value: shift_text(value, years)  # noqa: E731
    activities = [replace(a, name=text(a.name), target_text=text(a.target_text),
                          form_of_completion=text(a.form_of_completion), expected_result=text(a.expected_result),
                          term_text=text(a.term_text), translations=shift_texts(a.translations, years),
                          periods=[(shift_day(s, years), shift_day(e, years)) for s, e in a.periods])
                  for a in spec.activities]
    return replace(spec, slug=text(spec.slug), title=text(spec.title), academic_year=text(spec.academic_year),
                   starts_on=shift_day(spec.starts_on, years), ends_on=shift_day(spec.ends_on, years),
                   approved_on=shift_day(spec.approved_on, years), activities=activities,
                   translations=shift_texts(spec.translations, years),
                   digest=hashlib.sha256(f"{spec.digest}:{years}".encode()).hexdigest())


@dataclass
class DemoCalendar:
    """Today, the academic year that holds it, and how far the seed's dates move to reach it."""

    now: datetime          # UTC, naive, to the second
    today: date            # the university's calendar day
    plan: Plan
    years: int             # seed year → this academic year

    @property
    def forum_day(self) -> date:
        """International Anti-Corruption Day (9 December) of this academic year: the forum (2.11)."""
        return date(self.plan.starts_on.year, 12, 9)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """The stored UTC moment of `hour`:`minute` on `day`, university time."""
        return to_utc(datetime.combine(day, time(hour, minute)))

    def past(self, moment: datetime, margin: timedelta = timedelta(hours=2)) -> datetime:
        """`moment`, or just before now if it is not yet past — never before the plan's first day."""
        return max(self.at(self.plan.starts_on, 0), min(moment, self.now - margin))

    def shift(self, value):
        """A seed date, datetime or text (or translations) moved to this academic year."""
        if isinstance(value, (date, datetime)):
            return shift_day(value, self.years)
        return shift_texts(value, self.years)


def build_plan(content_folder: Path, now: datetime) -> tuple[DemoCalendar, str]:
    """Write the seed plan for the academic year that holds today (once; safe to repeat)."""
    spec = read_plan(content_folder / "plans" / f"{SEED_PLAN}.toml")
    today = local_date(now)
    shifted = plan_for_year(spec, academic_year_of(today)[0])
    result = apply_plan(shifted)
    db.session.commit()
    plan = db.session.execute(select(Plan).where(Plan.slug == shifted.slug)).scalar_one()
    line = (f"plan {plan.slug}: " + ("unchanged" if result.unchanged else
                                     f"{result.created} activities created, {result.updated} updated"))
    return DemoCalendar(now=now, today=today, plan=plan, years=shifted.starts_on.year - spec.starts_on.year), line
