"""What every feature declares about the personal data it keeps (the shape of a privacy provider).

Each feature that stores anything about a person has a `personal_data.py` module with:

    HOLDINGS                          the places it keeps a person's data: table, the columns naming the
                                      person, what, why, how long (a retention kind) and who sees it
    personal_data_of(user_id) -> dict everything it holds about that one person, as JSON-ready values
    erase_personal_data(user_id, uploads)  delete the person's free texts and files, keep the figures

The privacy feature builds the data copy, the erasure and the register of processing by asking
every module; a test fails when a column pointing at a person belongs to no declaration.
"""
from dataclasses import dataclass
from datetime import date, datetime

from app.extensions import db

# Retention kinds that are not configurable periods: how long rows of these holdings stay.
WHILE_ACCOUNT = "account"        # as long as the account exists (erasure or the graduates' period ends it)
FOR_FIGURES = "figures"          # kept without identity after erasure: the plan's figures rest on it
PERMANENT = "permanent"          # the append-only audit log


@dataclass(frozen=True)
class Holding:
    """One place where a feature keeps data about a person."""

    table: str
    columns: tuple[str, ...]      # the columns that name the person
    what: object                  # lazy-translated: what is kept
    purpose: object               # lazy-translated: why
    retention: str                # a retention kind (see app.privacy.retention) or one of the constants above
    seen_by: tuple[str, ...]      # roles (or "self") that see it


def plain(value):
    """Turn a stored value into something JSON can hold."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)


def row_dict(obj, *, exclude: tuple[str, ...] = ()) -> dict:
    """Every column of a row as plain values, leaving out `exclude` (secrets such as hashes)."""
    return {column.key: plain(getattr(obj, column.key)) for column in obj.__table__.columns
            if column.key not in exclude}


def rows_of(statement, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """The rows a select returns, each as `row_dict`."""
    return [row_dict(obj, exclude=exclude) for obj in db.session.execute(statement).scalars()]
