"""The narrative a responsible unit writes into a filed report."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.filings.service import MAX_NARRATIVE


class NarrativeForm(FlaskForm):
    language = SelectField(_l("Written in"), choices=[SelectChoice("kk", "Қазақша"), SelectChoice("ru", "Русский"),
                                                           SelectChoice("en", "English")],
                           validators=[InputRequired()])
    text = TextAreaField(_l("What was done, in the responsible unit's words"), validators=[Length(
        max=MAX_NARRATIVE, message=_l("At most %(max)d characters: shorten the text.", max=MAX_NARRATIVE))],
                         render_kw={"rows": 12})
