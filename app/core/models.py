"""Rows the platform keeps for itself: the versions that name what a shared cache may still serve."""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CacheVersion(db.Model):
    """One namespace of cached figures: bumped in the same transaction as the change that makes them stale.

    Every process and host reads it from the database, so an invalidation committed anywhere is
    seen everywhere at once, and never before the change itself is visible.
    """

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
