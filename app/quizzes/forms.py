"""Quiz forms: answers are read from the question inputs; these carry CSRF and the small settings."""
from flask_babel import lazy_gettext as _l, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange


class AttemptForm(FlaskForm):
    """Start, save or submit an attempt."""


class ExtraTimeForm(FlaskForm):
    student = SelectField(_l("Student"), coerce=int)
    scope = SelectField(lazy_pgettext("which quizzes extra time applies to", "For"), coerce=str)
    minutes = IntegerField(_l("Extra minutes"), validators=[InputRequired(), NumberRange(min=0, max=240)])
