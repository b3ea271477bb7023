"""The privacy feature's own personal data: consents, erasure requests and the access log."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.core.personal import FOR_FIGURES, WHILE_ACCOUNT, Holding
from app.extensions import db
from app.privacy.models import AccessLogEntry, Consent, ErasureRequest

HOLDINGS = (
    Holding("privacy_consents", ("user_id",), _l("Consents to the privacy notice: version and time"),
            _l("Proof of consent under the law on personal data"), WHILE_ACCOUNT, ("self", "dpo")),
    Holding("privacy_erasure_requests", ("user_id", "decided_by_id"), _l("Requests to erase one's data"),
            _l("Handling a person's request"), FOR_FIGURES, ("self", "admin")),
    Holding("privacy_erasures", ("user_id", "erased_by_id"), _l("That a person's data was erased, when and by whom"),
            _l("Proof that a request was carried out"), FOR_FIGURES, ("admin", "dpo")),
    Holding("privacy_access_log", ("viewer_id", "subject_user_id"), _l("Who opened whose personal data, and when"),
            _l("Holding those who see personal data to account"), "access_log", ("dpo",)),
    Holding("privacy_notices", ("published_by_id",), _l("Who published a version of the privacy notice"),
            _l("Accountability for the notice"), FOR_FIGURES, ("admin",)),
    Holding("privacy_retention", ("changed_by_id",), _l("Who changed a retention period"),
            _l("Accountability for retention"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's consents, erasure requests, and when their data was looked at (not by whom)."""
    consents = db.session.execute(select(Consent).where(Consent.user_id == user_id).order_by(Consent.version)).scalars()
    requests = db.session.execute(select(ErasureRequest).where(ErasureRequest.user_id == user_id)
                                  .order_by(ErasureRequest.id)).scalars()
    looks = db.session.execute(select(AccessLogEntry).where(AccessLogEntry.subject_user_id == user_id)
                               .order_by(AccessLogEntry.id)).scalars()
    return {
        "consents": [{"version": c.version, "given_at": c.given_at.isoformat()} for c in consents],
        "erasure_requests": [{"requested_at": r.requested_at.isoformat(), "reason": r.reason, "status": r.status}
                             for r in requests],
        "data_opened": [{"at": e.at.isoformat(), "what": e.kind, "by_staff": e.viewer_id != user_id} for e in looks],
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Delete the reasons the person wrote; consents and the access log stay as proof."""
    for request in db.session.execute(select(ErasureRequest).where(ErasureRequest.user_id == user_id)).scalars():
        request.reason = ""


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Remove access-log entries older than the cutoff."""
    if kind != "access_log":
        return 0
    return db.session.execute(delete(AccessLogEntry).where(AccessLogEntry.at < cutoff)).rowcount or 0
