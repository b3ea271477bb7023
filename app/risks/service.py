"""Rules of section 1: rating and freezing corruption risks, the media log's summary, hearings and registers.

Ratings (ISO 37001 4.5 and the Kazakh standard rules of internal analysis both rate a risk by how
likely it is and how much harm it would do): score = likelihood × impact, each 1–5, so 1–25, in
four bands —

    low       1–4    accepted and watched
    medium    5–9    measures within the year
    high     10–16   measures with a deadline and an owner
    critical 20–25   measures at once; reported to the Board

(15 and 16 are high; no product of two numbers 1–5 lies between 16 and 20.)

A year's register is frozen once its map is approved: the approved risks are kept as a snapshot
(with its SHA-256 in the audit log) and no risk of that year changes again; what changes after
that belongs to the next plan year, into which the approved risks can be carried forward.
"""
import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import func, select

from app.audit import service as audit
from app.core import events
from app.core.clock import local_date
from app.core.exports import xlsx_bytes
from app.core.uploads import UploadError, remove_stored, store_document
from app.extensions import db
from app.people.models import STAFF, StaffUnit, User, UserRole
from app.plan import deliverables
from app.plan import service as plan_service
from app.plan.deliverable_models import Deliverable
from app.plan.measures import Measure, provides
from app.plan.models import (DECLARATIONS, MEDIA_LOG, POSITIONS, REGISTER, RISK_ANALYSIS, RISK_MAP, UNITS, Activity,
                             Plan)
from app.risks.models import (AREAS, DIRECTIONS, RISK_STATUSES, TONES, DeclarationDuty, EquatedPosition, Hearing,
                              MediaItem, Risk, RiskMap)

logger = logging.getLogger(__name__)

SCALE = range(1, 6)
LOW, MEDIUM, HIGH, CRITICAL = "low", "medium", "high", "critical"
BANDS = ((20, CRITICAL), (10, HIGH), (5, MEDIUM), (1, LOW))   # lowest score of each band, highest first
BAND_LABELS = {LOW: lazy_pgettext("risk rating", "low"), MEDIUM: lazy_pgettext("risk rating", "medium"),
               HIGH: lazy_pgettext("risk rating", "high"), CRITICAL: lazy_pgettext("risk rating", "critical")}
LIKELIHOOD_LABELS = {1: _l("rare"), 2: _l("unlikely"), 3: _l("possible"), 4: _l("likely"), 5: _l("almost certain")}
IMPACT_LABELS = {1: _l("minor"), 2: _l("moderate"), 3: _l("significant"), 4: _l("major"), 5: _l("severe")}
DIRECTION_LABELS = {"management": _l("organisational and managerial activity"), "legal acts": _l("legal acts")}
AREA_LABELS = {"personnel": _l("personnel"), "conflict of interest": _l("conflict of interest"),
               "admission and examinations": _l("admission and examinations"), "procurement": _l("procurement"),
               "finance and property": _l("finance and property"), "services": _l("services to students and staff"),
               "control and permits": _l("control and permits"), "other": lazy_pgettext("risk area", "other")}
STATUS_LABELS = {"identified": _l("identified"), "measures planned": _l("measures planned"),
                 "in progress": lazy_pgettext("risk status", "in progress"), "mitigated": _l("mitigated"),
                 "accepted": _l("accepted as it is")}
TONE_LABELS = {"positive": _l("positive"), "neutral": _l("neutral"), "negative": _l("negative")}

HEARING_FOLDER = "hearings"


class RisksError(ValueError):
    """A change the rules refuse; the message says why, for the person who asked (at `field` of the form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _page(endpoint: str, activity: Activity) -> str:
    """The ACS page of an activity's list (empty outside a request: a job has no pages to link)."""
    return url_for(endpoint, plan=activity.plan.slug, code=activity.code) if has_request_context() else ""


def band(score: int) -> str:
    """The rating band of a score from 1 to 25."""
    if not 1 <= score <= 25:
        raise ValueError(f"a score is 1–25, not {score}")
    return next(name for lowest, name in BANDS if score >= lowest)


def rate(likelihood: int, impact: int) -> tuple[int, str]:
    """Score (likelihood × impact) and band of a risk rated 1–5 on each scale."""
    if likelihood not in SCALE or impact not in SCALE:
        raise RisksError(_("Likelihood and impact are rated from 1 to 5."))
    score = likelihood * impact
    return score, band(score)


# --- the register ---------------------------------------------------------------------------------

def risks_of(plan: Plan) -> list[Risk]:
    """The year's risks, highest score first."""
    rows = db.session.execute(select(Risk).where(Risk.plan_id == plan.id)).scalars().all()
    return sorted(rows, key=lambda r: (-r.score, r.number))


def approved_map(plan: Plan) -> RiskMap | None:
    return db.session.execute(select(RiskMap).where(RiskMap.plan_id == plan.id)).scalar_one_or_none()


def is_frozen(plan: Plan) -> bool:
    """Whether the year's map is approved, so that its register no longer changes."""
    return approved_map(plan) is not None


RISK_FIELDS = ("direction", "area", "process", "unit_id", "description", "scheme", "factors", "positions",
               "controls", "likelihood", "impact", "owner", "mitigation", "deadline", "status")


def _check_values(values: dict) -> None:
    rate(values["likelihood"], values["impact"])
    if values["direction"] not in DIRECTIONS or values["area"] not in AREAS or values["status"] not in RISK_STATUSES:
        raise RisksError(_("Choose a value from the list."))
    if not values["process"].strip() or not values["description"].strip():
        raise RisksError(_("The process and the description of the risk are required."), "process")


def save_risk(plan: Plan, values: dict, actor: User, now: datetime, risk: Risk | None = None) -> Risk:
    """Add a risk to the year's register, or change one; refused once the year's map is approved."""
    if is_frozen(plan):
        raise RisksError(_("The map of %(year)s is approved: its register no longer changes. Record the change "
                           "in the next year's register.", year=plan.academic_year))
    if risk is not None and risk.plan_id != plan.id:
        raise RisksError(_("This risk belongs to another plan year."))
    _check_values(values)
    before = _risk_row(risk) if risk is not None else None
    if risk is None:
        number = (db.session.scalar(select(func.max(Risk.number)).where(Risk.plan_id == plan.id)) or 0) + 1
        risk = Risk(plan_id=plan.id, number=number, created_by_id=actor.id, created_at=now)
        db.session.add(risk)
    for name in RISK_FIELDS:
        setattr(risk, name, values[name].strip() if isinstance(values[name], str) else values[name])
    risk.updated_at = now
    db.session.flush()
    after = _risk_row(risk)
    changed = {k: [before[k], after[k]] for k in after if before is not None and before[k] != after[k]}
    audit.record("risk.add" if before is None else "risk.change", actor=actor, subject=f"risk:{risk.id}",
                 payload={"plan": plan.slug, "code": risk.code, **({"changed": changed} if before else {"risk": after})},
                 now=now)
    logger.info("risk %s of %s saved by %s", risk.code, plan.slug, actor.id)
    return risk


def delete_risk(risk: Risk, actor: User, now: datetime) -> None:
    """Remove a risk recorded by mistake (never from an approved year)."""
    plan = db.session.get(Plan, risk.plan_id)
    if is_frozen(plan):
        raise RisksError(_("The map of %(year)s is approved: its register no longer changes.", year=plan.academic_year))
    audit.record("risk.delete", actor=actor, subject=f"risk:{risk.id}", payload={"plan": plan.slug, "risk": _risk_row(risk)},
                 now=now)
    db.session.delete(risk)


def _risk_row(risk: Risk) -> dict:
    """A risk as plain values: what the snapshot, the export and the audit log keep."""
    score, rating = rate(risk.likelihood, risk.impact)
    return {"code": risk.code, "number": risk.number, "direction": risk.direction, "area": risk.area,
            "process": risk.process, "unit": risk.unit.name if risk.unit else "", "unit_id": risk.unit_id,
            "description": risk.description, "scheme": risk.scheme, "factors": risk.factors,
            "positions": risk.positions, "controls": risk.controls, "likelihood": risk.likelihood,
            "impact": risk.impact, "score": score, "band": rating, "owner": risk.owner, "mitigation": risk.mitigation,
            "deadline": risk.deadline.isoformat() if risk.deadline else "", "status": risk.status}


def register_rows(plan: Plan) -> list[dict]:
    """The register as plain rows: the approved snapshot once frozen, the live risks before."""
    approved = approved_map(plan)
    if approved is not None:
        return list(approved.snapshot)
    return [_risk_row(r) for r in risks_of(plan)]


def approve_map(plan: Plan, approved_on: date, decision: str, actor: User, now: datetime,
                uploads: Path | None = None) -> RiskMap:
    """Approve the year's map: keep the register as it stands and freeze it; submit what the plan says it feeds.

    The plan's activity `fed_by = "risk-map"` gets the approved map (a summary and the map as a workbook) on
    its period of `approved_on`, and the one `fed_by = "risk-analysis"` the register (the internal analysis);
    each period moves to submitted for the ACS to accept (see `deliverables.submit_from_record`)."""
    if is_frozen(plan):
        raise RisksError(_("The map of %(year)s is already approved.", year=plan.academic_year))
    rows = [_risk_row(r) for r in risks_of(plan)]
    if not rows:
        raise RisksError(_("The register is empty: there is nothing to approve."), "decision")
    if not plan.starts_on <= approved_on <= plan.ends_on:
        raise RisksError(_("The approval date lies within the plan year (%(start)s – %(end)s).",
                           start=plan.starts_on.isoformat(), end=plan.ends_on.isoformat()), "approved_on")
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    approved = RiskMap(plan_id=plan.id, approved_on=approved_on, decision=decision.strip()[:300],
                       approved_by_id=actor.id, approved_at=now, snapshot=rows, digest=digest)
    db.session.add(approved)
    audit.record("risk_map.approve", actor=actor, subject=f"plan:{plan.slug}",
                 payload={"approved_on": approved_on.isoformat(), "decision": approved.decision, "risks": len(rows),
                          "sha256": digest}, now=now)
    events.announce(events.plan_measure_changed, "risks", plan_id=plan.id, at=now)
    logger.info("risk map of %s approved by %s (%d risks)", plan.slug, actor.id, len(rows))
    db.session.flush()
    _submit_map(plan, approved, rows, actor, now, uploads if uploads is not None
                else Path(current_app.config["UPLOAD_FOLDER"]))
    return approved


def _submit_map(plan: Plan, approved: RiskMap, rows: list[dict], actor: User, now: datetime, uploads: Path) -> None:
    """Submit the map (for "risk-map") and the register (for "risk-analysis") to their deliverable periods."""
    folder = uploads / deliverables.EVIDENCE_FOLDER
    counts = band_counts(rows)
    bands = ", ".join(f"{BAND_LABELS[name]} {n}" for name, n in counts.items())
    map_link, register_link = (
        (url_for("risks.risk_map", plan=plan.slug), url_for("risks.register", plan=plan.slug))
        if has_request_context() else ("", ""))
    areas = Counter(row["area"] for row in rows)
    by_area = ", ".join(f"{AREA_LABELS.get(area, area)} {n}" for area, n in areas.most_common())
    high = [row for row in rows if row["band"] in (HIGH, CRITICAL)]
    feeds = {
        RISK_MAP: ([(_("Corruption risk map %(year)s, approved", year=plan.academic_year),
                     _("Approved on %(date)s (%(decision)s): %(count)d risks — %(bands)s. SHA-256 of the approved "
                       "register: %(digest)s.", date=approved.approved_on.isoformat(), decision=approved.decision,
                       count=len(rows), bands=bands, digest=approved.digest)
                     + (" " + _("The map: %(link)s", link=map_link) if map_link else ""))],
                   [deliverables.GeneratedFile(_("Corruption risk map %(year)s (likelihood × impact)", year=plan.academic_year),
                                               f"risk-map-{plan.slug}.xlsx", map_xlsx(plan, rows))]),
        RISK_ANALYSIS: ([(_("Internal analysis of corruption risks %(year)s", year=plan.academic_year),
                          _("%(count)d corruption risks identified by area: %(areas)s; rated %(bands)s. High and "
                            "critical, with measures: %(high)s. Register approved on %(date)s (%(decision)s).",
                            count=len(rows), areas=by_area, bands=bands,
                            high=", ".join(f"{row['code']} {row['process']}" for row in high) or "—",
                            date=approved.approved_on.isoformat(), decision=approved.decision)
                          + (" " + _("The register: %(link)s", link=register_link) if register_link else ""))],
                        [deliverables.GeneratedFile(_("Register of corruption risks %(year)s", year=plan.academic_year),
                                                    f"corruption-risks-{plan.slug}.xlsx", register_xlsx(plan))]),
    }
    for feed, (notes, files) in feeds.items():
        try:
            filed = deliverables.submit_from_record(plan, feed, approved.approved_on, actor, now, folder,
                                                    notes=notes, files=files)
        except deliverables.DeliverableError as error:       # accepted already: it stays as the ACS accepted it
            logger.info("risk map of %s not filed to %s: %s", plan.slug, feed, error)
            continue
        if filed is not None:
            logger.info("risk map of %s filed to %s period %s", plan.slug, filed.activity.code, filed.period_number)


def map_activities(plan: Plan) -> list[Activity]:
    """The plan's activities that approving the map submits: the map's ("risk-map"), then the register's."""
    found = [deliverables.fed_activity(plan, feed) for feed in (RISK_MAP, RISK_ANALYSIS)]
    return [activity for activity in found if activity is not None]


def map_deliverables(plan: Plan) -> list[Deliverable]:
    """The deliverable periods the approved map submits (the "risk-map" and "risk-analysis" activities')."""
    approved = approved_map(plan)
    if approved is None:
        return []
    found = [deliverables.fed_period(plan, feed, approved.approved_on) for feed in (RISK_MAP, RISK_ANALYSIS)]
    return [item for item in found if item is not None]


def map_xlsx(plan: Plan, rows: list[dict]) -> bytes:
    """The heat map as a workbook: a row per impact (5 down to 1), a column per likelihood, the risks in each cell."""
    header = [_("Impact \\ likelihood")] + [f"{n} — {LIKELIHOOD_LABELS[n]}" for n in SCALE]
    lines = [[f"{line[0].impact} — {IMPACT_LABELS[line[0].impact]}"]
             + [", ".join(r["code"] for r in cell.risks) or "—" for cell in line] for line in heat_map(rows)]
    lines.append([])
    lines.extend([[r["code"], r["process"], r["description"], r["likelihood"], r["impact"], r["score"],
                   str(BAND_LABELS[r["band"]])] for r in sorted(rows, key=lambda r: r["number"])])
    return xlsx_bytes(header, lines, title=_("Risk map %(year)s", year=plan.academic_year).replace("/", "-"))


def next_plan(plan: Plan) -> Plan | None:
    """The plan year that follows this one (None when it is not loaded yet)."""
    return db.session.execute(select(Plan).where(Plan.starts_on > plan.starts_on).order_by(Plan.starts_on)
                              .limit(1)).scalars().first()


def carry_forward(plan: Plan, target: Plan, actor: User, now: datetime) -> int:
    """Copy the approved risks of `plan` into the next year's register (once each); return how many were copied."""
    if not is_frozen(plan):
        raise RisksError(_("Approve this year's map before carrying its risks forward."))
    if target.starts_on <= plan.starts_on:
        raise RisksError(_("Risks are carried into a later plan year."))
    if is_frozen(target):
        raise RisksError(_("The map of %(year)s is approved: its register no longer changes.", year=target.academic_year))
    carried = set(db.session.execute(select(Risk.carried_from_id).where(Risk.plan_id == target.id)).scalars())
    number = db.session.scalar(select(func.max(Risk.number)).where(Risk.plan_id == target.id)) or 0
    copied = 0
    for risk in sorted(db.session.execute(select(Risk).where(Risk.plan_id == plan.id)).scalars(), key=lambda r: r.number):
        if risk.id in carried:
            continue
        number += 1
        db.session.add(Risk(plan_id=target.id, number=number, carried_from_id=risk.id, created_by_id=actor.id,
                            created_at=now, updated_at=now, **{name: getattr(risk, name) for name in RISK_FIELDS}))
        copied += 1
    db.session.flush()
    audit.record("risk.carry_forward", actor=actor, subject=f"plan:{target.slug}",
                 payload={"from": plan.slug, "copied": copied}, now=now)
    return copied


@dataclass
class Cell:
    likelihood: int
    impact: int
    score: int
    band: str
    risks: list[dict] = field(default_factory=list)


def heat_map(rows: list[dict]) -> list[list[Cell]]:
    """The 5 × 5 grid, impact 5 on the first row down to 1, likelihood 1 to 5 across; each cell lists its risks."""
    grid = [[Cell(likelihood, impact, likelihood * impact, band(likelihood * impact)) for likelihood in SCALE]
            for impact in reversed(SCALE)]
    for row in rows:
        grid[5 - row["impact"]][row["likelihood"] - 1].risks.append(row)
    return grid


def band_counts(rows: list[dict]) -> dict[str, int]:
    counts = Counter(row["band"] for row in rows)
    return {name: counts.get(name, 0) for _lowest, name in reversed(BANDS)}


def register_xlsx(plan: Plan) -> bytes:
    """The register as a workbook: one row per risk, text typed as text (nothing a spreadsheet would run)."""
    header = [_("No."), _("Direction"), _("Area"), _("Process"), _("Structural division"), _("Corruption risk"),
              _("Corruption scheme"), _("Corruption-generating factors"), _("Positions involved"),
              _("Existing controls"), _("Likelihood (1–5)"), _("Impact (1–5)"), _("Score"), _("Rating"),
              _("Risk owner"), _("Mitigation measures"), _("Deadline"), _("Status")]
    rows = ([r["code"], str(DIRECTION_LABELS.get(r["direction"], r["direction"])), str(AREA_LABELS.get(r["area"], r["area"])),
             r["process"], r["unit"], r["description"], r["scheme"], r["factors"], r["positions"], r["controls"],
             r["likelihood"], r["impact"], r["score"], str(BAND_LABELS[r["band"]]), r["owner"], r["mitigation"],
             r["deadline"], str(STATUS_LABELS.get(r["status"], r["status"]))]
            for r in register_rows(plan))
    return xlsx_bytes(header, rows, title=_("Corruption risks %(year)s", year=plan.academic_year).replace("/", "-"))


# --- the media log (1.11) -------------------------------------------------------------------------

MEDIA_FIELDS = ("published_on", "source", "link", "subject", "tone", "action")


def _media_values(values: dict) -> dict:
    """A media item's values, trimmed, or RisksError at the first field the rules refuse."""
    if not isinstance(values.get("published_on"), date):
        raise RisksError(_("Give the date of publication."), "published_on")
    clean = {name: (values.get(name) or "").strip() for name in MEDIA_FIELDS if name != "published_on"}
    clean["published_on"] = values["published_on"]
    if not clean["source"]:
        raise RisksError(_("Name the source."), "source")
    if not clean["subject"]:
        raise RisksError(_("Say what the publication is about."), "subject")
    if clean["tone"] not in TONES:
        raise RisksError(_("Choose a value from the list."), "tone")
    if clean["link"] and not re.match(r"https?://[^\s/]+", clean["link"], re.IGNORECASE):
        raise RisksError(_("A link starts with http:// or https://."), "link")
    return clean


def record_media(values: dict, actor: User, now: datetime) -> MediaItem:
    """Log a publication found by monitoring open sources."""
    clean = _media_values(values)
    item = MediaItem(**clean, recorded_by_id=actor.id, recorded_at=now)
    db.session.add(item)
    db.session.flush()
    audit.record("media.add", actor=actor, subject=f"media:{item.id}",
                 payload={"published_on": item.published_on.isoformat(), "source": item.source, "tone": item.tone},
                 now=now)
    return item


def update_media(item: MediaItem, values: dict, actor: User, now: datetime) -> dict:
    """Correct a logged item with the same checks as logging it; return {field: [before, after]} as audit-logged."""
    clean = _media_values(values)
    changed = {}
    for name in MEDIA_FIELDS:
        before, after = getattr(item, name), clean[name]
        if before != after:
            changed[name] = [before.isoformat() if isinstance(before, date) else before,
                             after.isoformat() if isinstance(after, date) else after]
            setattr(item, name, after)
    if changed:
        db.session.flush()
        audit.record("media.change", actor=actor, subject=f"media:{item.id}", payload={"changed": changed}, now=now)
        logger.info("media item %s changed by %s: %s", item.id, actor.id, sorted(changed))
    return changed


def delete_media(item: MediaItem, actor: User, now: datetime) -> None:
    """Remove an item logged by mistake (what it said stays in the audit log)."""
    audit.record("media.delete", actor=actor, subject=f"media:{item.id}",
                 payload={"published_on": item.published_on.isoformat(), "source": item.source, "tone": item.tone,
                          "subject": item.subject}, now=now)
    db.session.delete(item)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following


def media_of_month(year: int, month: int) -> list[MediaItem]:
    first, following = month_bounds(year, month)
    return db.session.execute(select(MediaItem).where(MediaItem.published_on >= first, MediaItem.published_on < following)
                              .order_by(MediaItem.published_on.desc(), MediaItem.id.desc())).scalars().all()


@dataclass
class MonthSummary:
    year: int
    month: int
    total: int
    by_tone: dict[str, int]
    by_source: list[tuple[str, dict[str, int], int]]   # (source, counts by tone, total), largest first
    acted_on: int                                       # items with an action recorded


def monthly_summary(year: int, month: int) -> MonthSummary:
    """Counts of the month's items by tone and by source (one query)."""
    first, following = month_bounds(year, month)
    rows = db.session.execute(select(MediaItem.source, MediaItem.tone, func.count(), func.count(func.nullif(MediaItem.action, "")))
                              .where(MediaItem.published_on >= first, MediaItem.published_on < following)
                              .group_by(MediaItem.source, MediaItem.tone)).all()
    by_tone = {tone: 0 for tone in TONES}
    sources: dict[str, dict[str, int]] = {}
    acted = 0
    for source, tone, count, with_action in rows:
        by_tone[tone] = by_tone.get(tone, 0) + count
        sources.setdefault(source, {t: 0 for t in TONES})[tone] = count
        acted += with_action
    by_source = sorted(((s, counts, sum(counts.values())) for s, counts in sources.items()), key=lambda x: (-x[2], x[0]))
    return MonthSummary(year, month, sum(by_tone.values()), by_tone, by_source, acted)


def month_label(year: int, month: int) -> str:
    """A month as the pages write it: 02.2025."""
    return f"{month:02d}.{year:04d}"


def media_plan(year: int, month: int) -> Plan | None:
    """The plan year that holds the month (its first day)."""
    return plan_service.current_plan(date(year, month, 1))


def media_period(year: int, month: int) -> Deliverable | None:
    """The deliverable period the month's summary is filed to (of the plan's "media-log" activity), if any."""
    plan = media_plan(year, month)
    return deliverables.fed_period(plan, MEDIA_LOG, date(year, month, 1)) if plan is not None else None


def media_summary_text(summary: MonthSummary, link: str = "") -> str:
    """The month's summary as a short text for the evidence: counts by tone, acted on, the largest sources."""
    label = month_label(summary.year, summary.month)
    if not summary.total:
        text = _("Media monitoring of %(month)s: no publications about the university or corruption in its sphere "
                 "were found.", month=label)
    else:
        tones = ", ".join(f"{TONE_LABELS[tone]} {n}" for tone, n in summary.by_tone.items())
        sources = ", ".join(f"{source} {total}" for source, _counts, total in summary.by_source[:10])
        text = _("Media monitoring of %(month)s: %(total)d publications (%(tones)s); an action was taken on "
                 "%(acted)d. By source: %(sources)s.", month=label, total=summary.total, tones=tones,
                 acted=summary.acted_on, sources=sources)
    if link:
        text += " " + _("The month in the media log: %(link)s", link=link)
    return text


def media_month_xlsx(year: int, month: int) -> bytes:
    """The month's items as a workbook, oldest first."""
    header = [_("Date of publication"), _("Source"), _("Link"), _("Subject"), _("Tone"), _("Action taken")]
    rows = ([item.published_on.isoformat(), item.source, item.link, item.subject, str(TONE_LABELS[item.tone]),
             item.action] for item in reversed(media_of_month(year, month)))
    return xlsx_bytes(header, rows, title=_("Media %(month)s", month=f"{year:04d}-{month:02d}"))


def file_media_summary(year: int, month: int, actor: User, now: datetime, uploads: Path) -> Deliverable:
    """File the month's summary to the period of the plan's "media-log" activity that holds it, and submit it.

    The summary goes in twice: as a short text (with the link to the month in the log) and as a workbook of
    the month's items. A month is filed once it has begun; filing it again adds the summary as it stands then."""
    first = date(year, month, 1)
    label = month_label(year, month)
    if first > local_date(now):
        raise RisksError(_("%(month)s has not begun: a month is filed once it has.", month=label), "month")
    plan = media_plan(year, month)
    if plan is None:
        raise RisksError(_("No plan year holds %(month)s.", month=label), "month")
    summary = monthly_summary(year, month)
    link = url_for("risks.media", month=f"{year:04d}-{month:02d}") if has_request_context() else ""
    try:
        filed = deliverables.submit_from_record(
            plan, MEDIA_LOG, first, actor, now, uploads / deliverables.EVIDENCE_FOLDER,
            notes=[(_("Media monitoring summary, %(month)s", month=label), media_summary_text(summary, link))],
            files=[deliverables.GeneratedFile(_("Media items, %(month)s", month=label),
                                              f"media-{year:04d}-{month:02d}.xlsx", media_month_xlsx(year, month))])
    except deliverables.DeliverableError as error:
        raise RisksError(str(error), "month") from None
    if filed is None:
        raise RisksError(_("The plan %(year)s names no activity the media log feeds (fed_by = \"media-log\").",
                           year=plan.academic_year), "month")
    audit.record("media.summary_filed", actor=actor, subject=f"media-month:{year:04d}-{month:02d}", now=now,
                 payload={"deliverable": filed.id, "activity": filed.activity.code, "period": filed.period_number,
                          "items": summary.total, "by_tone": summary.by_tone})
    return filed


def media_months() -> list[tuple[int, int]]:
    """The months that have items, newest first."""
    days = db.session.execute(select(MediaItem.published_on)).scalars()
    return sorted({(d.year, d.month) for d in days}, reverse=True)


# --- hearings of divisions (units, 1.7) ---------------------------------------------------------------

def units_activities(plan: Plan) -> list[Activity]:
    return db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.kind == UNITS,
                                                     Activity.retired.is_(False)).order_by(Activity.position)).scalars().all()


def target_share(activity: Activity) -> float | None:
    """The share the plan asks for: its percentage, or the first "N%" of its target text ("50% covering of …")."""
    if activity.target_percent:
        return float(activity.target_percent)
    found = re.search(r"(\d+(?:[.,]\d+)?)\s*%", activity.target_text or "")
    return float(found.group(1).replace(",", ".")) if found else None


def record_hearing(activity: Activity, unit: StaffUnit, heard_on: date, minutes: str, upload, actor: User,
                   now: datetime, uploads: Path) -> Hearing:
    """Record that a division was heard, with the minutes as text and, optionally, a file (PDF, DOCX or an image)."""
    if activity.kind != UNITS:
        raise RisksError(_("Hearings are recorded on an activity measured in structural divisions."))
    plan = activity.plan
    if not plan.starts_on <= heard_on <= min(plan.ends_on, local_date(now)):
        raise RisksError(_("The date of the hearing lies within the plan year and not in the future."), "heard_on")
    if not minutes.strip() and upload is None:
        raise RisksError(_("Give the minutes: a short text, a file or both."), "minutes")
    hearing = Hearing(activity_id=activity.id, unit_id=unit.id, heard_on=heard_on, minutes=minutes.strip(),
                      recorded_by_id=actor.id, recorded_at=now)
    if upload is not None:
        try:
            stored = store_document(upload.stream, upload.filename or "", uploads / HEARING_FOLDER)
        except UploadError as error:
            raise RisksError(str(error), "minutes_file") from None
        if stored.kind == "xlsx":
            remove_stored(uploads / HEARING_FOLDER, stored.name)
            raise RisksError(_("Minutes are a PDF, a Word (.docx) file or a photo of the signed page."), "minutes_file")
        if stored.thumb_name:
            remove_stored(uploads / HEARING_FOLDER, stored.thumb_name)
        hearing.minutes_file, hearing.minutes_type = stored.name, stored.mimetype
    db.session.add(hearing)
    db.session.flush()
    audit.record("hearing.add", actor=actor, subject=f"hearing:{hearing.id}",
                 payload={"activity": activity.code, "unit": unit.name, "heard_on": heard_on.isoformat(),
                          "file": bool(hearing.minutes_file)}, now=now)
    events.announce(events.plan_measure_changed, "risks", plan_id=plan.id, at=now)
    return hearing


def delete_hearing(hearing: Hearing, actor: User, now: datetime, uploads: Path) -> None:
    """Remove a hearing recorded by mistake, with its minutes file."""
    audit.record("hearing.delete", actor=actor, subject=f"hearing:{hearing.id}",
                 payload={"activity_id": hearing.activity_id, "unit_id": hearing.unit_id,
                          "heard_on": hearing.heard_on.isoformat(), "file": bool(hearing.minutes_file)}, now=now)
    if hearing.minutes_file:
        remove_stored(uploads / HEARING_FOLDER, hearing.minutes_file)
    db.session.delete(hearing)
    events.announce(events.plan_measure_changed, "risks", plan_id=None, at=now)


def hearings_of(activity: Activity) -> list[Hearing]:
    return db.session.execute(select(Hearing).where(Hearing.activity_id == activity.id)
                              .order_by(Hearing.heard_on.desc(), Hearing.id.desc())).scalars().all()


def hearing_share(activity: Activity) -> tuple[int, int]:
    """(distinct divisions heard, all structural divisions)."""
    heard = db.session.scalar(select(func.count(func.distinct(Hearing.unit_id))).where(Hearing.activity_id == activity.id))
    total = db.session.scalar(select(func.count()).select_from(StaffUnit))
    return heard or 0, total or 0


@provides(UNITS)
def _units_measures(activities: list[Activity], as_of: date) -> dict[int, Measure]:
    ids = [a.id for a in activities]
    heard = dict(db.session.execute(select(Hearing.activity_id, func.count(func.distinct(Hearing.unit_id)))
                                    .where(Hearing.activity_id.in_(ids), Hearing.heard_on <= as_of)
                                    .group_by(Hearing.activity_id)).all())
    total = db.session.scalar(select(func.count()).select_from(StaffUnit)) or 0
    found = {}
    for activity in activities:
        done, target = heard.get(activity.id, 0), target_share(activity)
        text = (_("%(done)d of %(total)d divisions heard (target %(target)s%%)", done=done, total=total,
                  target=format(target, "g")) if target is not None
                else _("%(done)d of %(total)d divisions heard", done=done, total=total))
        met = (total > 0 and 100 * done >= target * total) if target is not None else None
        found[activity.id] = Measure(done, total, text, target, met, _page("risks.hearings", activity))
    return found


def units_measure(activity: Activity, as_of: date) -> Measure:
    """The share of divisions heard for one activity, as the plan's pages show it."""
    return _units_measures([activity], as_of)[activity.id]


# --- registers (declarations, positions) ----------------------------------------------------------
# A register of the reports received (fed_by = "reports") is the reporting channel's: it measures that one.
KEPT_HERE = (DECLARATIONS, POSITIONS)


def register_activities(plan: Plan) -> list[Activity]:
    """The plan's registers whose lists Section 1 keeps (declarations, positions)."""
    return db.session.execute(select(Activity).where(Activity.plan_id == plan.id, Activity.kind == REGISTER,
                                                     Activity.fed_by.in_(KEPT_HERE), Activity.retired.is_(False))
                              .order_by(Activity.position)).scalars().all()


def register_kind(activity: Activity) -> str:
    """Which list a register activity keeps (DECLARATIONS or POSITIONS): the plan file's `fed_by`."""
    return activity.fed_by


def employees() -> list[User]:
    """Staff accounts, by name: who can be put on the declarations list."""
    return db.session.execute(select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == STAFF)
                              .order_by(User.full_name)).scalars().all()


def declaration_duties(activity: Activity) -> list[tuple[DeclarationDuty, User]]:
    return db.session.execute(select(DeclarationDuty, User).join(User, User.id == DeclarationDuty.user_id)
                              .where(DeclarationDuty.activity_id == activity.id).order_by(User.full_name)).all()


def add_declarant(activity: Activity, user: User, position: str, actor: User, now: datetime) -> DeclarationDuty:
    """Put an employee on the list of those who must submit a declaration."""
    if register_kind(activity) != DECLARATIONS:
        raise RisksError(_("This register is not the list of declarations."))
    if not user.has_role(STAFF):
        raise RisksError(_("Only employees are put on this list."))
    if db.session.execute(select(DeclarationDuty.id).where(DeclarationDuty.activity_id == activity.id,
                                                           DeclarationDuty.user_id == user.id)).first():
        raise RisksError(_("%(name)s is already on the list.", name=user.full_name))
    duty = DeclarationDuty(activity_id=activity.id, user_id=user.id, position=position.strip()[:200],
                           updated_by_id=actor.id, updated_at=now)
    db.session.add(duty)
    db.session.flush()
    audit.record("declaration.require", actor=actor, subject=f"user:{user.id}",
                 payload={"activity": activity.code}, now=now)
    events.announce(events.plan_measure_changed, "risks", plan_id=activity.plan_id, at=now)
    return duty


def mark_declaration(duty: DeclarationDuty, submitted_on: date | None, actor: User, now: datetime) -> None:
    """Record that the declaration was submitted on a day (or take that back with None)."""
    if submitted_on is not None and submitted_on > local_date(now):
        raise RisksError(_("A declaration cannot be submitted in the future."), "submitted_on")
    before = duty.submitted_on
    duty.submitted_on, duty.updated_by_id, duty.updated_at = submitted_on, actor.id, now
    audit.record("declaration.submitted" if submitted_on else "declaration.not_submitted", actor=actor,
                 subject=f"user:{duty.user_id}",
                 payload={"activity_id": duty.activity_id, "from": before.isoformat() if before else None,
                          "to": submitted_on.isoformat() if submitted_on else None}, now=now)
    events.announce(events.plan_measure_changed, "risks", plan_id=None, at=now)


def remove_declarant(duty: DeclarationDuty, actor: User, now: datetime) -> None:
    audit.record("declaration.unrequire", actor=actor, subject=f"user:{duty.user_id}",
                 payload={"activity_id": duty.activity_id}, now=now)
    db.session.delete(duty)
    events.announce(events.plan_measure_changed, "risks", plan_id=None, at=now)


def equated_positions(activity: Activity) -> list[EquatedPosition]:
    return db.session.execute(select(EquatedPosition).where(EquatedPosition.activity_id == activity.id)
                              .order_by(EquatedPosition.title)).scalars().all()


def add_position(activity: Activity, title: str, unit: StaffUnit | None, basis: str, actor: User,
                 now: datetime) -> EquatedPosition:
    """List a position equated to persons authorised to perform state functions."""
    if register_kind(activity) != POSITIONS:
        raise RisksError(_("This register is not the list of positions."))
    title = title.strip()
    if not title:
        raise RisksError(_("Name the position."))
    if db.session.execute(select(EquatedPosition.id).where(EquatedPosition.activity_id == activity.id,
                                                           EquatedPosition.title == title)).first():
        raise RisksError(_("This position is already on the list."))
    position = EquatedPosition(activity_id=activity.id, title=title[:200], unit_id=unit.id if unit else None,
                               basis=basis.strip(), added_on=local_date(now), added_by_id=actor.id)
    db.session.add(position)
    db.session.flush()
    audit.record("equated_position.add", actor=actor, subject=f"position:{position.id}",
                 payload={"activity": activity.code, "title": position.title}, now=now)
    events.announce(events.plan_measure_changed, "risks", plan_id=activity.plan_id, at=now)
    return position


def remove_position(position: EquatedPosition, actor: User, now: datetime) -> None:
    audit.record("equated_position.remove", actor=actor, subject=f"position:{position.id}",
                 payload={"activity_id": position.activity_id, "title": position.title}, now=now)
    db.session.delete(position)
    events.announce(events.plan_measure_changed, "risks", plan_id=None, at=now)


@provides(REGISTER)
def _register_measures(activities: list[Activity], as_of: date) -> dict[int, Measure]:
    ids = [a.id for a in activities]
    duties = {a: (n, s) for a, n, s in db.session.execute(
        select(DeclarationDuty.activity_id, func.count(),
               func.count(DeclarationDuty.submitted_on).filter(DeclarationDuty.submitted_on <= as_of))
        .where(DeclarationDuty.activity_id.in_(ids)).group_by(DeclarationDuty.activity_id)).all()}
    positions = dict(db.session.execute(select(EquatedPosition.activity_id, func.count())
                                        .where(EquatedPosition.activity_id.in_(ids), EquatedPosition.added_on <= as_of)
                                        .group_by(EquatedPosition.activity_id)).all())
    found = {}
    for activity in activities:
        if register_kind(activity) not in KEPT_HERE:
            continue
        if register_kind(activity) == DECLARATIONS:
            required, submitted = duties.get(activity.id, (0, 0))
            text = _("%(done)d of %(total)d declarations submitted", done=submitted, total=required)
            found[activity.id] = Measure(submitted, required, text, 100.0, required > 0 and submitted == required,
                                         _page("risks.register_list", activity))
        else:
            listed = positions.get(activity.id, 0)
            found[activity.id] = Measure(listed, listed, ngettext("%(num)d position listed", "%(num)d positions listed", listed),
                                         None, None, _page("risks.register_list", activity))
    return found


def register_measure(activity: Activity, as_of: date) -> Measure:
    """One register's figure, as the plan's pages show it."""
    return _register_measures([activity], as_of)[activity.id]
