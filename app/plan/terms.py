"""Turn a plan's free-text term ("Twice a year: till January 15, till June 15") into periods.

A period is (starts_on, ends_on). Coverage is measured per period: an activity held
"twice a year" has two, "quarterly" four, "monthly" twelve; a single deadline
("Till December 9, 2024") gives one period from the start of the academic year;
anything else ("Within the year", "According to individual schedule") is one period
spanning the academic year. A plan file may list its periods explicitly instead.
"""
import calendar
import re
from datetime import date, timedelta

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"


ACADEMIC_YEAR_STARTS = (9, 1)   # 1 September, as the plans are written


def academic_year_of(day: date) -> tuple[date, date]:
    """The academic year (1 September to 31 August) that holds `day`: (first day, last day)."""
    start = date(day.year if (day.month, day.day) >= ACADEMIC_YEAR_STARTS else day.year - 1, *ACADEMIC_YEAR_STARTS)
    return start, date(start.year + 1, start.month, start.day) - timedelta(days=1)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_for(month: int, year_start: date) -> int:
    """The calendar year in which `month` falls within the academic year that starts at `year_start`."""
    return year_start.year if month >= year_start.month else year_start.year + 1


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    return date(day.year + month_index // 12, month_index % 12 + 1, 1)


def _split(year_start: date, year_end: date, months: int) -> list[tuple[date, date]]:
    periods = []
    start = year_start
    while start <= year_end:
        following = _add_months(start, months)
        periods.append((start, min(following - timedelta(days=1), year_end)))
        start = following
    return periods


def _chain(deadlines: list[date], year_start: date) -> list[tuple[date, date]]:
    periods, start = [], year_start
    for deadline in sorted(deadlines):
        periods.append((start, deadline))
        start = deadline + timedelta(days=1)
    return periods


def parse_term(text: str, year_start: date, year_end: date) -> list[tuple[date, date]]:
    """Return the periods a term text describes within the academic year."""
    term = " ".join((text or "").lower().split())

    if "quarterly" in term:
        return _split(year_start, year_end, 3)
    if term.startswith("monthly"):
        return _split(year_start, year_end, 1)

    # "Twice a year: till January 15, till June 15" / "Till December 9, 2024" / "Till September 1, 2025"
    tills = re.findall(rf"till {MONTH} (\d{{1,2}})(?:,? (\d{{4}}))?", term)
    if tills:
        deadlines = [
            date(int(year) if year else _year_for(MONTHS[month], year_start), MONTHS[month], int(day))
            for month, day, year in tills
        ]
        return _chain(deadlines, year_start)

    # "September 2024 (from 01 to 15)" / "October 2025 (from 9 to 17 monthly)"
    match = re.search(rf"{MONTH} (\d{{4}}) \(from (\d{{1,2}}) to (\d{{1,2}})", term)
    if match:
        month, year = MONTHS[match[1]], int(match[2])
        return [(date(year, month, int(match[3])), date(year, month, int(match[4])))]

    # "September 2024 - May 2025"
    match = re.search(rf"{MONTH} (\d{{4}}) ?- ?{MONTH} (\d{{4}})", term)
    if match:
        start = date(int(match[2]), MONTHS[match[1]], 1)
        return [(start, _month_end(int(match[4]), MONTHS[match[3]]))]

    # "May-June 2025" / "October-November 2025"
    match = re.search(rf"{MONTH} ?- ?{MONTH} (\d{{4}})", term)
    if match:
        year = int(match[3])
        start_year = year if MONTHS[match[1]] <= MONTHS[match[2]] else year - 1
        return [(date(start_year, MONTHS[match[1]], 1), _month_end(year, MONTHS[match[2]]))]

    # "May 2025" / "September 2024"
    match = re.search(rf"{MONTH} (\d{{4}})", term)
    if match:
        year, month = int(match[2]), MONTHS[match[1]]
        return [(date(year, month, 1), _month_end(year, month))]

    return [(year_start, year_end)]
