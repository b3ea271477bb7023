"""Certificates' personal data: the certificates a person holds, with the name at issue."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.certificates.models import Certificate
from app.core.personal import FOR_FIGURES, Holding, rows_of
from app.extensions import db

HOLDINGS = (
    Holding("certificates", ("user_id",), _l("Certificates: holder's name at issue, what was achieved, date, code"),
            _l("Certificates anyone can verify by their code"), FOR_FIGURES, ("self", "public by code")),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's certificates."""
    return {"certificates": rows_of(select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.id))}


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Remove the holder's name: the code still verifies as issued, with the holder's data erased."""
    db.session.execute(update(Certificate).where(Certificate.user_id == user_id).values(holder_name=""))
