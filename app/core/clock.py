"""The current time, replaceable in tests (config NOW_FUNCTION) so no test has to sleep."""
from datetime import datetime

from flask import current_app

from app.people.models import utcnow


def now() -> datetime:
    """Return the current UTC time (naive), or the configured test clock's."""
    return current_app.config.get("NOW_FUNCTION", utcnow)()
