"""Forms of the privacy pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class ActionForm(FlaskForm):
    """Carries the CSRF token."""


class NoticeForm(FlaskForm):
    text_en = TextAreaField(_l("Notice in English"), validators=[DataRequired(_l("The English text is required.")),
                                                                 Length(max=20000)])
    text_kk = TextAreaField(_l("Notice in Kazakh"), validators=[Length(max=20000)])
    text_ru = TextAreaField(_l("Notice in Russian"), validators=[Length(max=20000)])


class ErasureRequestForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Length(max=2000)])
