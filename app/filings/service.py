"""What goes into the reports the ACS files, and the narratives the responsible units write for them.

Three documents share one build (`build_filing`), for one plan and a range of days:
  board      — the annual report to the Board of Directors (plan item 1.8): the plan's whole year so far;
  quarterly  — the information for the authorised bodies (1.10): one calendar quarter of the plan's year;
  range      — the analytical report for any range of days (the printable coverage report's range).
Each activity is shown in its own terms: a reach activity as distinct people over the headcount
against its target (with a chart: the university and each faculty or staff unit); a deliverable,
a share of divisions or a register by its kind and status, never as a percentage of people.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.numbers import format_decimal
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.core.clock import local_date, utcnow
from app.core.localize import format_day, language, tr
from app.coverage import service as coverage_service
from app.coverage.service import Figure
from app.extensions import db
from app.filings.models import ANNUAL, Narrative
from app.people.models import ADMIN, User
from app.plan import deliverables
from app.plan.measures import Measure, measures_for
from app.plan.models import EMPLOYEES, REACH, Activity, Plan

logger = logging.getLogger(__name__)

BOARD, QUARTERLY, RANGE = "board", "quarterly", "range"
KINDS = (BOARD, QUARTERLY, RANGE)
LANGUAGES = ("kk", "ru", "en")
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
MAX_NARRATIVE = 8000
MAX_BARS = 12           # scopes drawn in one activity's chart (the university and the first faculties or units)


# --- reporting periods --------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportPeriod:
    key: str              # ANNUAL or "2025Q1"
    starts_on: date
    ends_on: date

    def label(self) -> str:
        """The period in the reader's language."""
        found = QUARTER.match(self.key)
        if found:
            return _("Quarter %(number)s of %(year)s", number=found.group(2), year=found.group(1))
        return _("the whole year")


def quarters(plan: Plan) -> list[ReportPeriod]:
    """The calendar quarters the plan's year touches, each cut to the plan's days."""
    found, day = [], date(plan.starts_on.year, 3 * ((plan.starts_on.month - 1) // 3) + 1, 1)
    while day <= plan.ends_on:
        following = date(day.year + (day.month == 10), (day.month + 2) % 12 + 1, 1)
        last = date.fromordinal(following.toordinal() - 1)
        found.append(ReportPeriod(f"{day.year}Q{(day.month - 1) // 3 + 1}", max(day, plan.starts_on),
                                  min(last, plan.ends_on)))
        day = following
    return found


def annual(plan: Plan) -> ReportPeriod:
    return ReportPeriod(ANNUAL, plan.starts_on, plan.ends_on)


def period_by_key(plan: Plan, key: str) -> ReportPeriod | None:
    """The plan's year (ANNUAL) or one of its quarters; None for any other key."""
    if key == ANNUAL:
        return annual(plan)
    return next((quarter for quarter in quarters(plan) if quarter.key == key), None)


def periods_touching(plan: Plan, first: date, last: date) -> list[ReportPeriod]:
    """The quarters of the plan that share a day with first–last (whose narratives a range report shows)."""
    return [quarter for quarter in quarters(plan) if quarter.starts_on <= last and quarter.ends_on >= first]


# --- where the deliverables' evidence and status come in --------------------------------------------

@dataclass(frozen=True)
class EvidenceItem:
    title: str            # the file's name, the link or the short text
    kind: str             # "file", "link" or "text"
    added_on: date | None = None


def evidence_for(activity_ids: list[int]) -> dict[int, list[EvidenceItem]]:
    """Each activity's evidence (its deliverable periods' and its events'), as the filed reports list it."""
    found: dict[int, list[EvidenceItem]] = {}
    for activity_id, items in deliverables.evidence_for(activity_ids).items():
        found[activity_id] = [EvidenceItem(
            title=item.title or item.original_name or item.url or item.body[:160],
            kind=item.kind, added_on=local_date(item.added_at)) for item in items]
    return found


def status_for(activity_ids: list[int], as_of: date) -> dict[int, list[tuple[int, str]]]:
    """Each deliverable activity's periods with their status on `as_of`: [(period number, status)]."""
    return {activity_id: [(row.period.number, row.status) for row in rows]
            for activity_id, rows in deliverables.status_for(activity_ids, as_of).items()}


# --- narratives ---------------------------------------------------------------------------------

def can_write_narrative(user, activity: Activity) -> bool:
    """The ACS writes every narrative; a reporter of one of the activity's responsible units writes its own."""
    if not (user and user.is_authenticated):
        return False
    if user.has_role(ADMIN):
        return True
    units = {unit.id for unit in deliverables.units_of([activity.id]).get(activity.id, [])}
    return bool(units & deliverables.reporter_unit_ids(user))


def narrative(activity_id: int, period: str, language: str) -> Narrative | None:
    return db.session.execute(select(Narrative).where(
        Narrative.activity_id == activity_id, Narrative.period == period,
        Narrative.language == language)).scalar_one_or_none()


def save_narrative(activity: Activity, period: str, language: str, text: str, author: User) -> Narrative:
    """Write (or rewrite, or with an empty text remove the words of) a narrative; the change goes to the audit log."""
    text = (text or "").strip()[:MAX_NARRATIVE]
    found = narrative(activity.id, period, language)
    if found is None:
        found = Narrative(activity_id=activity.id, period=period, language=language)
        db.session.add(found)
    found.text, found.author_id, found.updated_at = text, author.id, utcnow()
    db.session.flush()
    audit.record("filing.narrative_saved", actor=author, subject=f"activity:{activity.id}",
                 payload={"activity": activity.code, "period": period, "language": language, "length": len(text)})
    logger.info("narrative for %s, %s (%s) saved by user %s", activity.code, period, language, author.id)
    return found


def narratives_for(plan: Plan, periods: list[str], language: str) -> dict[int, list[tuple[str, str]]]:
    """{activity id: [(period key, text)]} in the language asked for, else in whichever language one was written."""
    rows = db.session.execute(select(Narrative).join(Activity, Activity.id == Narrative.activity_id).where(
        Activity.plan_id == plan.id, Narrative.period.in_(periods), Narrative.text != "")).scalars().all()
    chosen: dict[tuple[int, str], Narrative] = {}
    for row in rows:
        key = (row.activity_id, row.period)
        if key not in chosen or row.language == language:
            chosen[key] = row
    found: dict[int, list[tuple[str, str]]] = {}
    for period in periods:
        for (activity_id, key), row in sorted(chosen.items()):
            if key == period:
                found.setdefault(activity_id, []).append((period, row.text))
    return found


def narrative_overview(plan: Plan, period: str) -> dict[int, set[str]]:
    """{activity id: the languages a narrative for `period` is written in}."""
    found: dict[int, set[str]] = {}
    for activity_id, language in db.session.execute(
            select(Narrative.activity_id, Narrative.language).join(Activity, Activity.id == Narrative.activity_id)
            .where(Activity.plan_id == plan.id, Narrative.period == period, Narrative.text != "")):
        found.setdefault(activity_id, set()).add(language)
    return found


# --- the document's content ---------------------------------------------------------------------

@dataclass
class Bar:
    label: str
    percent: float | None     # coverage in percent (None: no headcount)
    participants: int = 0
    headcount: int = 0


@dataclass
class Line:
    """One activity as the document shows it (every text already in the document's language)."""

    code: str
    name: str
    kind: str
    kind_label: str
    measure: str               # how it is measured ("distinct people over the headcount" …)
    target: str
    term: str
    responsible: str
    form_of_completion: str
    done: str                  # what was done, in figures or by status
    figure: Figure | None      # reach only
    bars: list[Bar] = field(default_factory=list)
    target_percent: float | None = None
    narratives: list[tuple[str, str]] = field(default_factory=list)    # (period label, text)
    evidence: list[EvidenceItem] = field(default_factory=list)


@dataclass
class Filing:
    kind: str
    language: str
    title: str
    addressee: str
    university: str
    plan_title: str
    period_text: str
    date_from: date
    date_to: date
    as_of: date
    sections: list[tuple[str, list[Line]]]
    generated_at: datetime
    generated_by: str
    filename: str
    # The signed audit checkpoint the document carries (events, note) and where anyone checks it; see attach_checkpoint.
    checkpoint: tuple[int, str] | None = None
    audit_url: str = ""


def percent_text(value: float | None) -> str:
    """A percentage the reader's way (12.5% in English, 12,5% in Kazakh and Russian)."""
    if value is None:
        return "—"
    return format_decimal(round(float(value), 1), format="#,##0.#", locale=language()) + "%"


def _done_text(activity: Activity, figure: Figure, periods: list[tuple[int, str]] | None,
               measure: Measure | None = None) -> str:
    if activity.kind == REACH:
        if not figure.headcount:
            return _("Took part: %(n)d; no headcount is recorded to measure them against.", n=figure.participants)
        text = _("Took part: %(n)d distinct people out of a headcount of %(total)d (%(percent)s).",
                 n=figure.participants, total=figure.headcount, percent=percent_text(figure.percent))
        if figure.target is not None:
            text += " " + (_("The target of %(target)s is met.", target=percent_text(figure.target)) if not figure.needed
                           else _("Still needed to reach the target of %(target)s: %(n)d.", n=figure.needed,
                                  target=percent_text(figure.target)))
        return text
    if periods:
        labels = deliverables.status_labels()
        statuses = "; ".join(f"{number}: {labels.get(status, status)}" for number, status in periods)
        text = (_("Status: %(status)s.", status=labels.get(periods[0][1], periods[0][1])) if len(periods) == 1
                else _("Status by period: %(statuses)s.", statuses=statuses))
        return f"{measure.text}. {text}" if measure is not None and len(periods) > 1 else text
    if measure is not None:
        return measure.text + "."
    return _("Measured as %(kind)s (%(hint)s); no status has been recorded in the platform yet.",
             kind=coverage_service.kind_label(activity.kind), hint=coverage_service.kind_hint(activity.kind))


def _bars(activity: Activity, data, figure: Figure) -> list[Bar]:
    if activity.kind != REACH or not figure.headcount:
        return []
    rows = data.units if activity.population == EMPLOYEES else data.faculties
    bars = [Bar(_("University"), figure.percent, figure.participants, figure.headcount)]
    for row in rows[:MAX_BARS - 1]:
        scope = row.figures.get(activity.id)
        if scope is not None and scope.headcount:
            bars.append(Bar(row.name, scope.percent, scope.participants, scope.headcount))
    return bars


def _title(kind: str, plan: Plan, period: ReportPeriod | None) -> tuple[str, str]:
    if kind == BOARD:
        return (_("Report on the implementation of the anti-corruption plan for the %(year)s academic year",
                  year=plan.academic_year), _("To the Board of Directors"))
    if kind == QUARTERLY:
        return (_("Information on the implementation of the anti-corruption plan: %(period)s", period=period.label()),
                _("To the authorised bodies"))
    return _("Analytical report on the implementation of the anti-corruption plan %(year)s", year=plan.academic_year), ""


def attach_checkpoint(filing: Filing, audit_url: str) -> Filing:
    """Sign (or reuse) a checkpoint of the audit log for the document, as the printable report does."""
    checkpoint = audit.report_checkpoint(filing.generated_at)
    filing.checkpoint = (checkpoint.size, checkpoint.note) if checkpoint else None
    filing.audit_url = audit_url
    return filing


def build_filing(plan: Plan, kind: str, language: str, *, generated_by: str, today: date,
                 period: ReportPeriod | None = None, date_from: date | None = None,
                 date_to: date | None = None) -> Filing:
    """Gather one document's content in `language`: every activity of the plan, section by section.

    board: the plan's year up to `today`; quarterly: `period` (a quarter); range: date_from–date_to
    (each defaulting to the plan's first day and to `today`), always cut to the plan's year.
    """
    if kind not in KINDS or language not in LANGUAGES:
        raise ValueError(f"unknown filing {kind!r} in {language!r}")
    if kind == BOARD:
        period = annual(plan)
    if kind in (BOARD, QUARTERLY):
        first, last = period.starts_on, period.ends_on
    else:
        first, last = date_from or plan.starts_on, date_to or min(today, plan.ends_on)
    first, last = max(first, plan.starts_on), min(last, plan.ends_on)
    last = max(first, last)
    as_of = min(last, max(today, first))
    data = coverage_service.coverage(plan, as_of, date_from=first, date_to=as_of, with_groups=False)
    ids = [a.id for a in data.activities]
    evidence, statuses = evidence_for(ids), status_for(ids, as_of)
    narrative_periods = [ANNUAL] if kind == BOARD else [p.key for p in periods_touching(plan, first, last)]
    with force_locale(language):
        measures = measures_for(data.activities, as_of)     # their texts are in the report's language
        labels = {key: (period_by_key(plan, key) or annual(plan)).label() for key in narrative_periods}
        written = narratives_for(plan, narrative_periods, language)
        title, addressee = _title(kind, plan, period)
        sections: dict[int, list[Line]] = {}
        for activity in data.activities:
            figure = data.university.figures[activity.id]
            reach = activity.kind == REACH
            sections.setdefault(activity.section, []).append(Line(
                code=activity.code, name=tr(activity, "name"), kind=activity.kind,
                kind_label=coverage_service.kind_label(activity.kind), measure=coverage_service.kind_hint(activity.kind),
                target=(percent_text(activity.target_percent) if reach and activity.target_percent is not None
                        else tr(activity, "target_text") or "—"),
                term=tr(activity, "term_text") or "", responsible=", ".join(tr(activity, "responsible") or []),
                form_of_completion=tr(activity, "form_of_completion") or "",
                done=_done_text(activity, figure, statuses.get(activity.id), measures.get(activity.id)),
                figure=figure if reach else None, bars=_bars(activity, data, figure),
                target_percent=activity.target_percent if reach else None,
                narratives=[(labels[key], text) for key, text in written.get(activity.id, [])],
                evidence=evidence.get(activity.id, [])))
        titled = [(_("Section %(n)d.", n=number) + " " + plan.section_title(number), lines)
                  for number, lines in sorted(sections.items())]
        period_text = _("Period: %(from)s – %(to)s.", **{"from": format_day(first), "to": format_day(last)})
        if plan.closed:     # a closed year's figures are those kept when it was closed (or said to be counted afresh)
            period_text += " " + coverage_service.closed_note(plan, data)
        university = tr(plan, "university") or plan.university
        plan_title = tr(plan, "title") or plan.title
    stem = {BOARD: "board-report", QUARTERLY: "quarterly-information", RANGE: "analytical-report"}[kind]
    suffix = period.key if kind == QUARTERLY else (plan.academic_year if kind == BOARD else f"{first}_{last}")
    return Filing(kind, language, title, addressee, university, plan_title, period_text, first, last, as_of,
                  titled, utcnow(), generated_by, f"{stem}-{suffix}-{language}")
