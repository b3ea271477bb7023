"""The reporting channel's personal data: a reporter's identity, only when they chose to give it."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.personal import Holding
from app.core.uploads import remove_stored
from app.extensions import db
from app.reports.models import CLOSED, Report, ReportAttachment, ReportMessage

HOLDINGS = (
    Holding("reports", ("reporter_id", "assigned_to_id"),
            _l("A named reporter's identity and contact next to their report; the officer handling it"),
            _l("Answering the reporter and handling the case under the anti-corruption law"), "reports", ("admin",)),
    Holding("report_messages", ("officer_id",), _l("Which officer answered or noted a case"),
            _l("Accountability in case handling"), "reports", ("admin",)),
    Holding("report_attachments", (), _l("Images attached to reports"), _l("Evidence for the case"), "reports",
            ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the cases the person filed under their name (code, status, dates; the text stays in the case)."""
    reports = db.session.execute(select(Report).where(Report.reporter_id == user_id).order_by(Report.id)).scalars()
    return {
        "named_reports": [{"code": r.code, "category": r.category, "status": r.status, "contact": r.contact,
                           "received_on": r.received_on.isoformat(),
                           "closed_on": r.closed_on.isoformat() if r.closed_on else None} for r in reports],
        "anonymous_reports": "not linked to any person: they cannot be found for one person",
        "cases_assigned": db.session.scalar(select(func.count()).select_from(Report).where(Report.assigned_to_id == user_id)),
        "case_messages_written": db.session.scalar(
            select(func.count()).select_from(ReportMessage).where(ReportMessage.officer_id == user_id)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Turn the person's named reports into anonymous ones: identity and contact go, the case stays."""
    for report in db.session.execute(select(Report).where(Report.reporter_id == user_id)).scalars():
        report.reporter_id = None
        report.contact = ""
        report.anonymous = True


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Delete cases closed before the cutoff, with their messages, images and image files."""
    if kind != "reports":
        return 0
    from sqlalchemy import delete


    reports = db.session.execute(select(Report).where(Report.status == CLOSED,
                                                      Report.closed_on < cutoff.date())).scalars().all()
    ids = [report.id for report in reports]
    if not ids:
        return 0
    names = db.session.scalars(select(ReportAttachment.stored_name).where(ReportAttachment.report_id.in_(ids))).all()
    remove_stored(uploads / "reports", *names, neutral_time=True)
    db.session.execute(delete(ReportAttachment).where(ReportAttachment.report_id.in_(ids)))
    db.session.execute(delete(ReportMessage).where(ReportMessage.report_id.in_(ids)))
    db.session.execute(delete(Report).where(Report.id.in_(ids)))
    return len(ids)
