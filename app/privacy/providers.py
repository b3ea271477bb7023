"""Every feature's personal-data module, asked in one place: the copy, the erasure and the register."""
from importlib import import_module
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.core.personal import Holding

FEATURES = (
    ("people", _l("Profile and roles")),
    ("plan", _l("Participation in the plan")),
    ("courses", _l("Courses")),
    ("quizzes", _l("Quizzes")),
    ("contests", _l("Contests")),
    ("coverage", _l("Events and check-ins")),
    ("gamification", _l("XP, badges and notifications")),
    ("certificates", _l("Certificates")),
    ("surveys", _l("Surveys")),
    ("reports", _l("Reports")),
    ("club", _l("Club")),
    ("risks", _l("Section 1 records")),
    ("brainring", _l("Brain ring")),
    ("authoring", _l("Content editing")),
    ("mail", _l("E-mail")),
    ("jobs", _l("Background jobs")),
    ("audit", _l("Audit log")),
    ("privacy", _l("Privacy")),
    ("filings", _l("Narratives in the filed reports")),
)


def provider(feature: str):
    """Return a feature's personal-data module."""
    return import_module(f"app.{feature}.personal_data")


def holdings() -> list[tuple[str, object, Holding]]:
    """Return (feature, its label, holding) for every place any feature keeps personal data."""
    return [(feature, label, holding) for feature, label in FEATURES for holding in provider(feature).HOLDINGS]


def personal_data_of(user_id: int) -> dict:
    """Ask every feature for what it holds about the person."""
    return {feature: provider(feature).personal_data_of(user_id) for feature, _label in FEATURES}


def erase_everywhere(user_id: int, uploads: Path) -> None:
    """Ask every feature to erase the person's free texts and files (people last: it replaces the name)."""
    for feature, _label in reversed(FEATURES):
        provider(feature).erase_personal_data(user_id, uploads)


def remove_expired(kind: str, cutoff, uploads: Path) -> int:
    """Ask every feature to remove its data of `kind` older than `cutoff`; return how many items went."""
    removed = 0
    for feature, _label in FEATURES:
        module = provider(feature)
        if hasattr(module, "remove_expired"):
            removed += module.remove_expired(kind, cutoff, uploads)
    return removed
