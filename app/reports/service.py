"""Rules of the reporting channel: filing, following with code and passphrase, handling, and public statistics."""
import secrets
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from app.audit import service as audit
from app.core.uploads import UploadError, remove_stored, store_image
from app.extensions import db
from app.people.models import ADMIN, User, UserRole
from app.people.passwords import hash_password, spend_the_same_time, verify_password
from app.plan.measures import Measure, provides
from app.plan.models import REGISTER, REPORTS, Activity
from app.reports.models import (ACS, CATEGORIES, CLOSED, OUTCOMES, RECEIVED, REFERRED, REPORTER, STATUSES, UNDER_REVIEW,
                                Report, ReportAttachment, ReportMessage, Setting)

ANSWER_DAYS_KEY = "reports.answer_days"
DEFAULT_ANSWER_DAYS = 10
MAX_ATTACHMENTS = 5
TEXT_LIMIT = 5000
# Letters and digits that cannot be mistaken for one another when read aloud or copied by hand.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


CATEGORY_LABELS = {
    "bribe": _l("A bribe or extortion"), "exam": _l("An exam or a grade"), "dormitory": _l("The dormitory"),
    "admission": _l("Admission or transfer"), "procurement": _l("Procurement or money"),
    "conflict": _l("A conflict of interest"), "other": _l("Something else"),
}
STATUS_LABELS = {RECEIVED: _l("received"), UNDER_REVIEW: _l("under review"),
                 REFERRED: _l("referred to the authorised body"), CLOSED: _l("closed")}
OUTCOME_LABELS = {
    "confirmed, measures taken": _l("confirmed, measures taken"), "not confirmed": _l("not confirmed"),
    "referred to the authorised body": _l("referred to the authorised body"),
    "not enough information": _l("not enough information to act on"),
}


class ReportError(ValueError):
    """The request was refused; the message says why, for the person."""


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_code() -> str:
    return f"{_random(4)}-{_random(4)}"            # 40 bits: hard to guess, easy to write down


def new_passphrase() -> str:
    return "-".join(_random(4) for _ in range(4))  # 80 bits


def normalise(value: str) -> str:
    """Codes and passphrases are compared without case, spaces or dashes."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def answer_days() -> int:
    value = db.session.get(Setting, ANSWER_DAYS_KEY)
    return int(value.value) if value is not None else DEFAULT_ANSWER_DAYS


def set_answer_days(days: int, actor: User) -> None:
    if not 1 <= days <= 90:
        raise ReportError(_("The time limit must be between 1 and 90 days."))
    row = db.session.get(Setting, ANSWER_DAYS_KEY) or Setting(key=ANSWER_DAYS_KEY)
    before = row.value
    row.value = str(days)
    db.session.add(row)
    audit.record("reports.answer_days", actor=actor, subject="settings", payload={"from": before, "to": days})
    db.session.commit()


@dataclass
class Filed:
    report: Report
    passphrase: str     # shown once, never stored


def _store_attachments(report: Report, files, folder: Path, today: date) -> None:
    files = [f for f in files if f and f.filename]
    if len(files) + len(report.attachments) > MAX_ATTACHMENTS:
        raise ReportError(_("Attach at most %(n)d images.", n=MAX_ATTACHMENTS))
    stored = []
    for upload in files:
        try:
            stored.append(store_image(upload.stream, folder, thumbnail=False, neutral_time=True))
        except UploadError as error:
            remove_stored(folder, *(image.name for image in stored), neutral_time=True)   # none outlives a refusal
            raise ReportError(str(error)) from None
    for image in stored:
        report.attachments.append(ReportAttachment(stored_name=image.name, mimetype="image/jpeg",
                                                   size=(folder / image.name).stat().st_size, created_on=today))


def file_report(*, category: str, what: str, place: str, happened: str, anonymous: bool, contact: str,
                user: User | None, files, folder: Path, today: date) -> Filed:
    """Create a case; return it with its passphrase (shown once). Raises ReportError for bad input."""
    if category not in CATEGORIES:
        raise ReportError(_("Choose what the report is about."))
    what = what.strip()
    if len(what) < 20:
        raise ReportError(_("Describe what happened in a few sentences (at least 20 characters)."))
    if len(what) > TEXT_LIMIT:
        raise ReportError(_("Keep the description under %(n)d characters.", n=TEXT_LIMIT))
    named = not anonymous and user is not None
    passphrase = new_passphrase()
    report = Report(code=new_code(), passphrase_hash=hash_password(normalise(passphrase)), category=category,
                    what=what, place=place.strip()[:300], happened=happened.strip()[:200], anonymous=not named,
                    reporter_id=user.id if named else None, contact=contact.strip()[:200] if named else "",
                    status=RECEIVED, received_on=today, due_on=today + timedelta(days=answer_days()))
    while db.session.scalar(select(func.count()).select_from(Report).where(Report.code == report.code)):
        report.code = new_code()
    _store_attachments(report, files, folder, today)
    db.session.add(report)
    db.session.commit()   # not in the audit log: its exact time could help tell who filed an anonymous report
    return Filed(report, passphrase)


def open_case(code: str, passphrase: str) -> Report | None:
    """The case for this code and passphrase, or None — the same None, and about the same time, for either mistake."""
    report = db.session.execute(select(Report).where(Report.code == _with_dash(normalise(code)))).scalar_one_or_none()
    if report is None:
        spend_the_same_time(normalise(passphrase))
        return None
    matched, _upgrade = verify_password(report.passphrase_hash, normalise(passphrase))
    return report if matched else None


def _with_dash(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def reporter_message(report: Report, body: str, files, folder: Path, today: date) -> None:
    body = body.strip()
    if not body and not [f for f in files if f and f.filename]:
        raise ReportError(_("Write a message or attach an image."))
    if len(body) > TEXT_LIMIT:
        raise ReportError(_("Keep the message under %(n)d characters.", n=TEXT_LIMIT))
    _store_attachments(report, files, folder, today)
    if body:
        report.messages.append(ReportMessage(author=REPORTER, body=body, created_on=today))
    db.session.commit()


# --- the ACS -------------------------------------------------------------------------------------

def officer_message(report: Report, officer: User, body: str, *, internal: bool, today: date) -> None:
    """Answer the reporter, or add an internal note; the first answer is what the time limit measures."""
    body = body.strip()
    if not body:
        raise ReportError(_("Write the message first."))
    if len(body) > TEXT_LIMIT:
        raise ReportError(_("Keep the message under %(n)d characters.", n=TEXT_LIMIT))
    report.messages.append(ReportMessage(author=ACS, officer_id=officer.id, body=body, internal=internal,
                                         created_on=today))
    if not internal and report.first_answer_on is None:
        report.first_answer_on = today
    audit.record("report.note" if internal else "report.answer", actor=officer, subject=f"report:{report.id}")
    db.session.commit()


def change_status(report: Report, officer: User, status: str, outcome: str, today: date) -> None:
    """Move a case along; closing needs an outcome. Every change is in the audit log."""
    if status not in STATUSES:
        raise ReportError(_("Choose a status."))
    if status == CLOSED and outcome not in OUTCOMES:
        raise ReportError(_("Closing a case needs its outcome."))
    if status == report.status and (status != CLOSED or outcome == report.outcome):
        return
    before = report.status
    report.status = status
    report.outcome = outcome if status == CLOSED else ("referred to the authorised body" if status == REFERRED else "")
    report.closed_on = today if status == CLOSED else None
    audit.record("report.status", actor=officer, subject=f"report:{report.id}",
                 payload={"from": before, "to": status, "outcome": report.outcome})
    db.session.commit()


def assign(report: Report, officer: User, assignee: User | None) -> None:
    if assignee is not None and not assignee.is_admin:
        raise ReportError(_("Cases can be assigned only to ACS officers."))
    before = report.assigned_to_id
    report.assigned_to_id = assignee.id if assignee else None
    audit.record("report.assign", actor=officer, subject=f"report:{report.id}",
                 payload={"from": before, "to": report.assigned_to_id})
    db.session.commit()


def queue(status: str | None = None, category: str | None = None, mine: User | None = None, overdue_on: date | None = None):
    query = select(Report).order_by(Report.status == CLOSED, Report.due_on, Report.id)
    if status:
        query = query.where(Report.status == status)
    if category:
        query = query.where(Report.category == category)
    if mine is not None:
        query = query.where(Report.assigned_to_id == mine.id)
    if overdue_on is not None:
        query = query.where(Report.first_answer_on.is_(None), Report.due_on < overdue_on)
    return db.session.execute(query.options(db.joinedload(Report.assigned_to))).scalars().all()


def officers() -> list[User]:
    return db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == ADMIN, User.active.is_(True)).order_by(User.full_name)).scalars().all()


# --- public statistics ----------------------------------------------------------------------------

@dataclass
class Statistics:
    total: int
    months: list[tuple[str, dict[str, int]]]          # ("2025-01", {category: count})
    answered_in_time: int
    answered: int
    waiting_overdue: int
    median_days: float | None
    outcomes: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def in_time_percent(self) -> float | None:
        due = self.answered + self.waiting_overdue
        return round(100 * self.answered_in_time / due, 1) if due else None


def public_statistics(today: date) -> Statistics:
    """Counts and times only — never a case's content — so anyone can see that reports are acted on."""
    rows = db.session.execute(select(Report.category, Report.received_on, Report.due_on, Report.first_answer_on,
                                     Report.status, Report.outcome)).all()
    months: dict[str, dict[str, int]] = {}
    outcomes: dict[str, int] = {}
    statuses: dict[str, int] = {}
    days, in_time, overdue = [], 0, 0
    for category, received, due, first, status, outcome in rows:
        months.setdefault(received.strftime("%Y-%m"), {}).setdefault(category, 0)
        months[received.strftime("%Y-%m")][category] += 1
        statuses[status] = statuses.get(status, 0) + 1
        if status == CLOSED and outcome:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if first is not None:
            days.append((first - received).days)
            in_time += first <= due
        elif due < today:
            overdue += 1
    return Statistics(len(rows), sorted(months.items()), in_time, len(days), overdue,
                      statistics.median(days) if days else None, outcomes, statuses)


# --- the plan's register of reports (4.3, the register with fed_by = "reports") --------------------------------

@provides(REGISTER)
def _reports_measures(activities: list[Activity], as_of: date) -> dict[int, Measure]:
    """The reporting channel as the plan measures it: reports received in the plan's year so far, and how many of
    them had a first answer within the time limit. The plan gives no number to reach, so there is no target."""
    found = {}
    for activity in activities:
        if activity.fed_by != REPORTS:
            continue
        first_day = activity.plan.starts_on
        received, in_time = db.session.execute(
            select(func.count(), func.count().filter(Report.first_answer_on <= Report.due_on,
                                                     Report.first_answer_on <= as_of))
            .where(Report.received_on >= first_day, Report.received_on <= as_of)).one()
        text = ngettext("%(num)d report received, %(done)d answered within the time limit",
                        "%(num)d reports received, %(done)d answered within the time limit", received, done=in_time)
        link = url_for("reports.queue") if has_request_context() else ""
        found[activity.id] = Measure(in_time, received, text, None, None, link)
    return found
