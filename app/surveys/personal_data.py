"""The surveys' personal data: only that a person answered a wave — the answers are not linked to anyone."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.personal import FOR_FIGURES, Holding
from app.extensions import db
from app.surveys.models import Survey, SurveyTaker, SurveyWave

HOLDINGS = (
    Holding("survey_takers", ("user_id",), _l("That a person answered a survey wave (never what they answered)"),
            _l("Letting each person answer once; counting activity 2.5"), FOR_FIGURES, ("self",)),
    Holding("survey_waves", ("published_by_id",), _l("Who published a wave's results"),
            _l("Accountability for published results"), FOR_FIGURES, ("admin",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the waves the person answered; their answers cannot be found, because nothing links them."""
    rows = db.session.execute(
        select(Survey.slug, SurveyWave.key, SurveyWave.title).join(SurveyWave, SurveyWave.survey_id == Survey.id)
        .join(SurveyTaker, SurveyTaker.wave_id == SurveyWave.id).where(SurveyTaker.user_id == user_id)
        .order_by(SurveyWave.opens_on)).all()
    return {
        "waves_answered": [{"survey": slug, "wave": key, "title": title} for slug, key, title in rows],
        "answers": "not linked to any person: they cannot be found, shown or erased for one person",
        "waves_published": db.session.scalar(
            select(func.count()).select_from(SurveyWave).where(SurveyWave.published_by_id == user_id)),
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep the taker rows: they say only that a wave was answered, and count in coverage."""
