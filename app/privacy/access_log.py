"""Who looked at whom: every opening of a person's admin page, a report case, an export with names or a
person's data copy is written to the access log, which only the data protection officer reads."""
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from app.extensions import db
from app.people.models import User
from app.privacy.models import AccessLogEntry

logger = logging.getLogger(__name__)

PERSON, REPORT, REPORT_FILE, EXPORT, DATA_COPY = "person", "report", "report_file", "export", "data_copy"
KINDS = (PERSON, REPORT, REPORT_FILE, EXPORT, DATA_COPY)

# The pages that show a person's data, by endpoint: what kind of look it is, the URL argument that names
# the object, and the subject's prefix. Pages stay in their features; the log watches them from here.
WATCHED = {
    "people_admin.person": (PERSON, "user_id", "user"),
    "reports.handle": (REPORT, "report_id", "report"),
    "reports.admin_file": (REPORT_FILE, "attachment_id", "report-file"),
    "coverage.group_csv": (EXPORT, "group_id", "group"),
    "jobs.download": (EXPORT, "job_id", "job"),   # a job's file: a report with names, a backup, a data copy
}


def record_access(viewer_id: int | None, kind: str, subject: str, *, subject_user_id: int | None = None,
                  method: str = "GET", path: str = "", at: datetime) -> AccessLogEntry:
    """Add one look to the log (the caller commits)."""
    entry = AccessLogEntry(viewer_id=viewer_id, kind=kind, subject=subject, subject_user_id=subject_user_id,
                           method=method[:8], path=path[:300], at=at)
    db.session.add(entry)
    logger.info("personal data opened: %s %s by user %s", kind, subject, viewer_id)
    return entry


def record_watched(endpoint: str | None, view_args: dict, viewer_id: int, method: str, path: str,
                   at: datetime) -> AccessLogEntry | None:
    """Log the request if its endpoint is one of the watched pages; return the entry or None."""
    if endpoint not in WATCHED:
        return None
    kind, argument, prefix = WATCHED[endpoint]
    ident = view_args.get(argument)
    return record_access(viewer_id, kind, f"{prefix}:{ident}", subject_user_id=ident if kind == PERSON else None,
                         method=method, path=path, at=at)


@dataclass
class LogPage:
    entries: list
    total: int
    page: int
    pages: int


def search_log(*, viewer: str = "", kind: str = "", subject: str = "", day_from: date | None = None,
               day_to: date | None = None, page: int = 1, per_page: int = 50) -> LogPage:
    """Return one page of the log, newest first, filtered by viewer (name or e-mail), kind, subject and days."""
    query = select(AccessLogEntry)
    if viewer.strip():
        like = f"%{viewer.strip().lower()}%"
        query = query.join(User, User.id == AccessLogEntry.viewer_id).where(
            or_(func.lower(User.email).like(like), func.lower(User.full_name).like(like)))
    if kind in KINDS:
        query = query.where(AccessLogEntry.kind == kind)
    if subject.strip():
        query = query.where(AccessLogEntry.subject.like(f"%{subject.strip()}%"))
    if day_from:
        query = query.where(AccessLogEntry.at >= datetime.combine(day_from, datetime.min.time()))
    if day_to:
        query = query.where(AccessLogEntry.at < datetime.combine(day_to + timedelta(days=1), datetime.min.time()))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    from sqlalchemy.orm import joinedload

    entries = db.session.execute(query.options(joinedload(AccessLogEntry.viewer))
                                 .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
                                 .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return LogPage(entries, total, page, pages)
