"""Deliverables: who is responsible for each document the plan owes, its status per period, and its evidence.

The rules, as plain functions the pages, the home panels, the reports and the tests call:

    planned ──► in progress ──► submitted ──► accepted        (the unit's reporter or the ACS moves it
        └──────────────────────────┘  ▲   │                      forward; only the ACS accepts or returns)
                                      └───┘ returned by the ACS, with a reason

"Overdue" is never stored: a period is overdue when its end has passed and it is neither submitted nor
accepted (`effective_status`). Every change is written to the audit log with its actor.
"""
import io
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import has_request_context, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from werkzeug.datastructures import FileStorage
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core import events
from app.core.uploads import UploadError, remove_stored, store_document
from app.extensions import db
from app.people.models import ADMIN, STAFF, User, UserRole
from app.plan.deliverable_models import (ACCEPTED, FILE, IN_PROGRESS, LINK, NOTE, OVERDUE, PLANNED, SUBMITTED,
                                         ActivityUnit, Deliverable, Evidence, ResponsibleUnit, UnitReporter)
from app.plan.measures import Measure, provides
from app.plan.models import (DECLARATIONS, DELIVERABLE, FEEDS, MEDIA_LOG, POSITIONS, REPORTS, RISK_ANALYSIS, RISK_MAP,
                              Activity, ActivityPeriod, Plan)

logger = logging.getLogger(__name__)

EVIDENCE_FOLDER = "evidence"     # under the upload folder
MAX_TITLE = 200
MAX_TEXT = 2000
FEED_LABELS = {RISK_ANALYSIS: _l("the register of corruption risks, when its map is approved"),
               RISK_MAP: _l("the approved map of corruption risks"),
               MEDIA_LOG: _l("the media log's summary of each month")}
# The list a register activity keeps (its `fed_by` too), as the editor and the activity's page name it.
LIST_LABELS = {DECLARATIONS: _l("declarations: who must declare income and expenses, and who did"),
               POSITIONS: _l("positions equated to persons authorised to perform state functions"),
               REPORTS: _l("reports through the reporting channel: received, and answered within the time limit")}
# Spellings of the ACS in the plan's "Responsible" column that its list of abbreviations does not give.
ALIASES = {"accs": "ACS"}


class DeliverableError(ValueError):
    """A change that the rules refuse; the message says why, for the person who asked."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


# --- responsible units ---------------------------------------------------------------------------------------

def parse_units(responsible: list[str], abbreviations: dict) -> list[tuple[str, str]]:
    """Split an activity's "Responsible" entries into units: (label, the abbreviation spelled out or "").

    An entry made only of the plan's abbreviations names one unit per abbreviation ("ALD ACS" is two);
    any other entry is one unit as written ("the University working group"). "deans of faculties. Library"
    is two entries run together, split at the full stop. Case is ignored when telling units apart.
    """
    known = {key.lower(): key for key in abbreviations}
    units, seen = [], set()
    for entry in responsible:
        for part in re.split(r"\.\s+|;\s*", entry):
            part = part.strip().strip(".")
            if not part:
                continue
            words = part.split()
            folded = [ALIASES.get(word.lower(), known.get(word.lower())) for word in words]
            names = folded if all(folded) else [part]
            for name in names:
                if name.lower() not in seen:
                    seen.add(name.lower())
                    units.append((name, abbreviations.get(name, "")))
    return units


def sync_plan(plan: Plan) -> None:
    """Make the plan's units, each activity's units and each deliverable period's row exist (idempotent)."""
    units = {u.key: u for u in db.session.execute(
        select(ResponsibleUnit).where(ResponsibleUnit.plan_id == plan.id)).scalars()}
    activities = db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.retired.is_(False))
                                    ).scalars().all()
    links = {(link.activity_id, link.unit_id) for link in db.session.execute(
        select(ActivityUnit).join(Activity).where(Activity.plan_id == plan.id)).scalars()}
    deliverables = {(d.activity_id, d.period_number): d for d in db.session.execute(
        select(Deliverable).join(Activity).where(Activity.plan_id == plan.id)).scalars()}
    changed = False
    for activity in activities:
        first_unit = None
        for position, (label, title) in enumerate(parse_units(activity.responsible or [], plan.abbreviations or {})):
            unit = units.get(label.lower())
            if unit is None:
                unit = units[label.lower()] = ResponsibleUnit(plan_id=plan.id, key=label.lower(), label=label,
                                                              title=title)
                db.session.add(unit)
                db.session.flush()
                changed = True
            if (activity.id, unit.id) not in links:
                db.session.add(ActivityUnit(activity_id=activity.id, unit_id=unit.id, position=position))
                links.add((activity.id, unit.id))
                changed = True
            first_unit = first_unit or unit
        if activity.kind != DELIVERABLE:
            continue
        for period in activity.periods:
            if (activity.id, period.number) not in deliverables:
                deliverables[activity.id, period.number] = Deliverable(
                    activity_id=activity.id, period_number=period.number, unit_id=first_unit.id if first_unit else None)
                db.session.add(deliverables[activity.id, period.number])
                changed = True
    if changed:
        db.session.flush()


def plan_units(plan: Plan) -> list[ResponsibleUnit]:
    """The plan's responsible units with their reporters, by label."""
    return db.session.execute(select(ResponsibleUnit).where(ResponsibleUnit.plan_id == plan.id)
                              .options(selectinload(ResponsibleUnit.reporters))
                              .order_by(ResponsibleUnit.label)).scalars().all()


def units_of(activity_ids) -> dict[int, list[ResponsibleUnit]]:
    """Each activity's responsible units, in the plan's order."""
    found: dict[int, list[ResponsibleUnit]] = {}
    for link, unit in db.session.execute(select(ActivityUnit, ResponsibleUnit).join(ResponsibleUnit)
                                         .where(ActivityUnit.activity_id.in_(list(activity_ids) or [0]))
                                         .order_by(ActivityUnit.position)):
        found.setdefault(link.activity_id, []).append(unit)
    return found


def staff_accounts() -> list[User]:
    """The accounts the ACS may name as reporters: staff and the ACS itself."""
    return db.session.execute(select(User).where(User.active.is_(True), User.role_rows.any(
        UserRole.role.in_((STAFF, ADMIN)))).order_by(User.full_name)).scalars().all()


def name_reporters(unit: ResponsibleUnit, users: list[User], actor, now: datetime) -> None:
    """Make `users` the people who report for `unit` (replacing the earlier ones), in the audit log."""
    before = {u.id for u in unit.reporters}
    wanted = {u.id for u in users}
    if before == wanted:
        return
    for row in db.session.execute(select(UnitReporter).where(UnitReporter.unit_id == unit.id)).scalars():
        if row.user_id not in wanted:
            db.session.delete(row)
    for user_id in wanted - before:
        db.session.add(UnitReporter(unit_id=unit.id, user_id=user_id, named_at=now))
    db.session.flush()
    db.session.expire(unit, ["reporters"])
    audit.record("deliverable.reporters", actor=actor, subject=f"unit:{unit.id}", now=now,
                 payload={"unit": unit.label, "added": sorted(wanted - before), "removed": sorted(before - wanted)})
    logger.info("reporters of unit %s set to %s by %s", unit.id, sorted(wanted), getattr(actor, "id", actor))


def reporter_unit_ids(user) -> set[int]:
    """The units `user` reports for."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.execute(select(UnitReporter.unit_id).where(UnitReporter.user_id == user.id)).scalars())


# --- who may do what -----------------------------------------------------------------------------------------

def is_acs(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(ADMIN))


def can_report(user, deliverable: Deliverable) -> bool:
    """The ACS, and the people named for the deliverable's responsible unit, work on it."""
    if is_acs(user):
        return True
    return deliverable.unit_id is not None and deliverable.unit_id in reporter_unit_ids(user)


def can_view(user, deliverable: Deliverable) -> bool:
    """Whoever may work on a deliverable may see it and its evidence; nobody else."""
    return can_report(user, deliverable)


def can_view_evidence(user, evidence: Evidence) -> bool:
    """A deliverable's evidence: as the deliverable. An event's: whoever sees event pages (ACS, curators, the club)."""
    if evidence.deliverable is not None:
        return can_view(user, evidence.deliverable)
    return bool(getattr(user, "is_authenticated", False) and user.has_role(ADMIN, "curator", "coordinator"))


def can_remove_evidence(user, evidence: Evidence) -> bool:
    """The ACS, or the person who added it while its deliverable is not yet submitted or accepted."""
    if is_acs(user):
        return True
    if evidence.added_by_id != getattr(user, "id", None):
        return False
    return evidence.deliverable is None or (evidence.deliverable.status not in (SUBMITTED, ACCEPTED)
                                            and can_report(user, evidence.deliverable))


# --- status --------------------------------------------------------------------------------------------------

def effective_status(deliverable: Deliverable, today: date) -> str:
    """The status shown: the stored one, or "overdue" once the period has ended without a submission."""
    if deliverable.status in (PLANNED, IN_PROGRESS) and today > deliverable.period.ends_on:
        return OVERDUE
    return deliverable.status


def allowed_moves(user, deliverable: Deliverable) -> list[str]:
    """The statuses `user` may move the deliverable to now."""
    moves = []
    if can_report(user, deliverable):
        if deliverable.status == PLANNED:
            moves.append(IN_PROGRESS)
        if deliverable.status in (PLANNED, IN_PROGRESS):
            moves.append(SUBMITTED)
    if is_acs(user):
        if deliverable.status == SUBMITTED:
            moves.append(ACCEPTED)
        if deliverable.status in (SUBMITTED, ACCEPTED):
            moves.append(IN_PROGRESS)     # returned to the unit
    return moves


def change_status(deliverable: Deliverable, to: str, actor, now: datetime, note: str = "") -> None:
    """Move a deliverable to `to` if the rules let `actor` do so; write who did it to the audit log."""
    note = note.strip()
    if to not in allowed_moves(actor, deliverable):
        raise DeliverableError(_("This change is not open to you now."), "status")
    if to == SUBMITTED and not deliverable.evidence:
        raise DeliverableError(_("Add at least one piece of evidence before submitting."), "status")
    returned = deliverable.status in (SUBMITTED, ACCEPTED) and to == IN_PROGRESS
    if returned and not note:
        raise DeliverableError(_("Say why it goes back to the unit."), "note")
    if len(note) > MAX_TEXT:
        raise DeliverableError(_("Keep the note under %(num)d characters.", num=MAX_TEXT), "note")
    before = deliverable.status
    deliverable.status = to
    deliverable.updated_at = now
    if to == SUBMITTED:
        deliverable.submitted_at = now
        if deliverable.person_id is None and not is_acs(actor):
            deliverable.person_id = actor.id
    if to == ACCEPTED:
        deliverable.accepted_at = now
    if returned:
        deliverable.accepted_at = None
    if note or returned:
        deliverable.note = note
    db.session.flush()
    audit.record("deliverable.status", actor=actor, subject=f"deliverable:{deliverable.id}", now=now, payload={
        "activity": deliverable.activity.code, "period": deliverable.period.number, "from": before, "to": to,
        "note": note})
    events.announce(events.plan_measure_changed, "deliverables", plan_id=deliverable.activity.plan_id, at=now)
    logger.info("deliverable %s moved %s -> %s by %s", deliverable.id, before, to, actor.id)


def assign(deliverable: Deliverable, unit: ResponsibleUnit | None, person: User | None, actor, now: datetime) -> None:
    """Set the responsible unit (one of the activity's) and person (one of its reporters); ACS only."""
    if not is_acs(actor):
        raise DeliverableError(_("Only the ACS assigns deliverables."))
    if unit is not None and unit.id not in {u.id for u in units_of([deliverable.activity_id]).get(deliverable.activity_id, [])}:
        raise DeliverableError(_("Choose one of the activity's responsible units."), "unit")
    if person is not None and (unit is None or person.id not in {u.id for u in unit.reporters}):
        raise DeliverableError(_("Choose one of the people who report for the unit."), "person")
    before = {"unit": deliverable.unit_id, "person": deliverable.person_id}
    deliverable.unit_id = unit.id if unit else None
    deliverable.person_id = person.id if person else None
    deliverable.updated_at = now
    db.session.flush()
    audit.record("deliverable.assign", actor=actor, subject=f"deliverable:{deliverable.id}", now=now, payload={
        "activity": deliverable.activity.code, "period": deliverable.period.number, "before": before,
        "after": {"unit": deliverable.unit_id, "person": deliverable.person_id}})


# --- evidence ------------------------------------------------------------------------------------------------

def add_evidence(actor, now: datetime, folder: Path, *, activity_id: int, deliverable: Deliverable | None = None,
                 event_id: int | None = None, kind: str, title: str = "", body: str = "", url: str = "",
                 upload=None) -> Evidence:
    """Add a file, a link or a short text to a deliverable period or an event; refuse what the rules refuse.

    The caller has checked that `actor` may add to the event; a deliverable is checked here.
    """
    title, body, url = title.strip(), body.strip(), url.strip()
    if deliverable is not None:
        if not can_report(actor, deliverable):
            raise DeliverableError(_("You do not report for this deliverable."))
        if deliverable.status == ACCEPTED:
            raise DeliverableError(_("It is accepted: the ACS returns it before anything is added."))
    if len(title) > MAX_TITLE:
        raise DeliverableError(_("Keep the title under %(num)d characters.", num=MAX_TITLE), "title")
    evidence = Evidence(activity_id=activity_id, deliverable_id=deliverable.id if deliverable else None,
                        event_id=event_id, kind=kind, title=title, added_by_id=actor.id, added_at=now)
    if kind == LINK:
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", url) or len(url) > MAX_TEXT:
            raise DeliverableError(_("Give a full web address, starting with https://."), "url")
        evidence.url = url
    elif kind == NOTE:
        if not body:
            raise DeliverableError(_("Write what was done."), "body")
        if len(body) > MAX_TEXT:
            raise DeliverableError(_("Keep the text under %(num)d characters.", num=MAX_TEXT), "body")
        evidence.body = body
    elif kind == FILE:
        if upload is None or not getattr(upload, "filename", ""):
            raise DeliverableError(_("Choose a file."), "file")
        try:
            stored = store_document(upload.stream, upload.filename, folder)
        except UploadError as error:
            raise DeliverableError(str(error), "file") from None
        evidence.stored_name, evidence.thumb_name = stored.name, stored.thumb_name
        evidence.file_kind, evidence.mimetype, evidence.size, evidence.digest = (
            stored.kind, stored.mimetype, stored.size, stored.digest)
        evidence.original_name = Path(upload.filename).name[:MAX_TITLE]
        evidence.title = title or evidence.original_name
    else:
        raise DeliverableError(_("Choose a file, a link or a text."), "kind")
    db.session.add(evidence)
    db.session.flush()
    audit.record("evidence.added", actor=actor, subject=_evidence_subject(evidence), now=now, payload={
        "evidence": evidence.id, "kind": kind, "title": evidence.title, "url": evidence.url,
        "file": evidence.original_name, "sha256": evidence.digest})
    logger.info("evidence %s added to %s by %s", evidence.id, _evidence_subject(evidence), actor.id)
    return evidence


def remove_evidence(evidence: Evidence, actor, now: datetime, folder: Path) -> None:
    """Delete a piece of evidence and its files, if the rules let `actor` do so; keep the fact in the audit log."""
    if not can_remove_evidence(actor, evidence):
        raise DeliverableError(_("You may not remove this evidence."))
    audit.record("evidence.removed", actor=actor, subject=_evidence_subject(evidence), now=now, payload={
        "evidence": evidence.id, "kind": evidence.kind, "title": evidence.title, "sha256": evidence.digest})
    remove_stored(folder, evidence.stored_name, evidence.thumb_name)
    db.session.delete(evidence)
    db.session.flush()


def _evidence_subject(evidence: Evidence) -> str:
    return f"deliverable:{evidence.deliverable_id}" if evidence.deliverable_id else f"event:{evidence.event_id}"


def evidence_of_event(event_id: int) -> list[Evidence]:
    """An event's evidence, oldest first."""
    return db.session.execute(select(Evidence).where(Evidence.event_id == event_id)
                              .options(selectinload(Evidence.added_by)).order_by(Evidence.added_at)).scalars().all()


# --- what the pages, the home panels and the reports read ---------------------------------------------------

@dataclass
class PeriodStatus:
    deliverable: Deliverable
    status: str              # effective: overdue included

    @property
    def period(self) -> ActivityPeriod:
        return self.deliverable.period


def _deliverables(where, today: date) -> list[PeriodStatus]:
    rows = db.session.execute(
        select(Deliverable).join(ActivityPeriod, (ActivityPeriod.activity_id == Deliverable.activity_id)
                                 & (ActivityPeriod.number == Deliverable.period_number))
        .join(Activity, Activity.id == Deliverable.activity_id)
        .where(*where).order_by(ActivityPeriod.ends_on, Activity.position)
        .options(selectinload(Deliverable.activity), selectinload(Deliverable.period), selectinload(Deliverable.unit),
                 selectinload(Deliverable.person), selectinload(Deliverable.evidence))).scalars().all()
    return [PeriodStatus(d, effective_status(d, today)) for d in rows]


def board(plan: Plan, today: date, *, status: str = "", section: int | None = None, unit_id: int | None = None,
          user=None) -> list[PeriodStatus]:
    """The plan's deliverable periods, soonest due first, filtered; a reporter sees only their units'."""
    where = [Activity.plan_id == plan.id, Activity.retired.is_(False)]
    if section:
        where.append(Activity.section == section)
    if unit_id:
        where.append(Deliverable.unit_id == unit_id)
    if user is not None and not is_acs(user):
        where.append(Deliverable.unit_id.in_(reporter_unit_ids(user) or {0}))
    rows = _deliverables(where, today)
    return [row for row in rows if not status or row.status == status]


def due_for(user, today: date) -> list[PeriodStatus]:
    """What the units `user` reports for still owe (not submitted, not accepted), soonest due first."""
    units = reporter_unit_ids(user)
    if not units:
        return []
    return _deliverables([Deliverable.unit_id.in_(units), Deliverable.status.in_((PLANNED, IN_PROGRESS)),
                          Activity.retired.is_(False)], today)


def overdue(plan: Plan, today: date) -> list[PeriodStatus]:
    """The plan's deliverable periods past their end and not submitted."""
    return _deliverables([Activity.plan_id == plan.id, Activity.retired.is_(False),
                          Deliverable.status.in_((PLANNED, IN_PROGRESS)), ActivityPeriod.ends_on < today], today)


def waiting_for_acs(plan: Plan) -> int:
    """How many periods are submitted and wait for the ACS to accept or return them."""
    return len(db.session.execute(select(Deliverable.id).join(Activity).where(
        Activity.plan_id == plan.id, Deliverable.status == SUBMITTED)).all())


def status_labels() -> dict:
    """The statuses in the reader's language."""
    return {PLANNED: _("planned"), IN_PROGRESS: _("in progress"), SUBMITTED: _("submitted"),
            ACCEPTED: _("accepted"), OVERDUE: _("overdue")}


def status_for(activity_ids, today: date) -> dict[int, list[PeriodStatus]]:
    """Each deliverable activity's periods with their effective status, for pages and reports."""
    found: dict[int, list[PeriodStatus]] = {}
    for row in _deliverables([Deliverable.activity_id.in_(list(activity_ids) or [0])], today):
        found.setdefault(row.deliverable.activity_id, []).append(row)
    for rows in found.values():
        rows.sort(key=lambda row: row.period.number)
    return found


@provides(DELIVERABLE)
def _deliverable_measures(activities: list[Activity], as_of: date) -> dict[int, Measure]:
    """A deliverable activity in its own terms: its periods accepted out of all, the overdue named; target: all."""
    found = {}
    for activity_id, rows in status_for([a.id for a in activities], as_of).items():
        accepted = sum(1 for row in rows if row.status == ACCEPTED)
        late = sum(1 for row in rows if row.status == OVERDUE)
        submitted = sum(1 for row in rows if row.status == SUBMITTED)
        working = sum(1 for row in rows if row.status == IN_PROGRESS)
        text = ngettext("%(done)d of %(num)d period accepted", "%(done)d of %(num)d periods accepted", len(rows),
                        done=accepted)
        if submitted:
            text += ", " + ngettext("%(num)d submitted", "%(num)d submitted", submitted)
        if working:
            text += ", " + ngettext("%(num)d in progress", "%(num)d in progress", working)
        if late:
            text += ", " + ngettext("%(num)d overdue", "%(num)d overdue", late)
        link = url_for("deliverables.activity", activity_id=activity_id) if has_request_context() else ""
        found[activity_id] = Measure(accepted, len(rows), text, 100.0, accepted == len(rows), link, late,
                                     submitted + working)
    return found


def evidence_for(activity_ids) -> dict[int, list[Evidence]]:
    """Every piece of evidence of each activity (its deliverable periods' and its events'), oldest first."""
    found: dict[int, list[Evidence]] = {}
    for evidence in db.session.execute(select(Evidence).where(Evidence.activity_id.in_(list(activity_ids) or [0]))
                                       .options(selectinload(Evidence.added_by), selectinload(Evidence.deliverable))
                                       .order_by(Evidence.added_at, Evidence.id)).scalars():
        found.setdefault(evidence.activity_id, []).append(evidence)
    return found


@dataclass
class Change:
    action: str          # deliverable.status, deliverable.assign, evidence.added, evidence.removed
    at: datetime
    actor: User | None
    details: dict


def history(deliverable: Deliverable) -> list[Change]:
    """Who changed what on the deliverable and when, read back from the audit log, newest first."""
    events = db.session.execute(select(AuditEvent).where(AuditEvent.subject == f"deliverable:{deliverable.id}")
                                .order_by(AuditEvent.seq.desc())).scalars().all()
    people = {u.id: u for u in db.session.execute(select(User).where(
        User.id.in_({e.actor_id for e in events if e.actor_id} or {0}))).scalars()}
    return [Change(e.action, e.occurred_at, people.get(e.actor_id), json.loads(e.payload or "{}")) for e in events]


# --- periods a record of the ACS submits (an activity's `fed_by`) ------------------------------------------------

def feed_label(feed: str) -> str:
    """Which record submits a deliverable's periods, or which list a register keeps, in the reader's language."""
    label = FEED_LABELS.get(feed) or LIST_LABELS.get(feed)
    return str(label) if label else feed


def fed_activity(plan: Plan, feed: str) -> Activity | None:
    """The plan's deliverable activity that `feed` submits (the plan file's `fed_by`), if the plan names one."""
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}")
    return db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.fed_by == feed,
                                                     Activity.kind == DELIVERABLE, Activity.retired.is_(False))
                              .order_by(Activity.position).limit(1)).scalars().first()


def fed_period(plan: Plan, feed: str, day: date) -> Deliverable | None:
    """The deliverable period that `feed` submits for `day`: the period holding it (the first before the term,
    the last after it); None when the plan names no such activity."""
    activity = fed_activity(plan, feed)
    if activity is None or not activity.periods:
        return None
    sync_plan(plan)
    return db.session.execute(select(Deliverable).where(
        Deliverable.activity_id == activity.id,
        Deliverable.period_number == activity.period_number_for(day))).scalar_one()


@dataclass
class GeneratedFile:
    """A document a feature made from its record, to attach as evidence."""

    title: str
    filename: str
    content: bytes


def submit_from_record(plan: Plan, feed: str, day: date, actor, now: datetime, folder: Path, *,
                       notes: list[tuple[str, str]] = (), files: list[GeneratedFile] = ()) -> Deliverable | None:
    """Attach a record's evidence to the period of `day` of the activity `feed` submits, and submit it.

    A period planned or in progress moves to submitted; one already submitted keeps its status and gains the
    evidence (the ACS then accepts it as any other); an accepted one is refused (the ACS returns it first).
    Returns None when the plan names no activity fed by `feed`. Written to the audit log as any evidence and move.
    """
    deliverable = fed_period(plan, feed, day)
    if deliverable is None:
        return None
    if deliverable.status == ACCEPTED:
        raise DeliverableError(_("Period %(number)d of %(code)s is accepted already: the ACS returns it before "
                                 "anything is added.", number=deliverable.period_number, code=deliverable.activity.code))
    for title, body in notes:
        add_evidence(actor, now, folder, activity_id=deliverable.activity_id, deliverable=deliverable, kind=NOTE,
                     title=title[:MAX_TITLE], body=body[:MAX_TEXT])
    for made in files:
        add_evidence(actor, now, folder, activity_id=deliverable.activity_id, deliverable=deliverable, kind=FILE,
                     title=made.title[:MAX_TITLE], upload=FileStorage(io.BytesIO(made.content), made.filename))
    db.session.refresh(deliverable)
    if deliverable.status in (PLANNED, IN_PROGRESS):
        change_status(deliverable, SUBMITTED, actor, now)
    logger.info("%s filed to deliverable %s by %s", feed, deliverable.id, actor.id)
    return deliverable
