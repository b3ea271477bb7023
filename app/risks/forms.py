"""Forms of section 1's pages: a risk, the map's approval, a media item, a hearing, the registers' rows."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, URL

from app.people.forms import options
from app.risks import service
from app.risks.models import AREAS, DIRECTIONS, RISK_STATUSES, TONES


def _scale(labels) -> list[SelectChoice]:
    return options((n, f"{n} — {labels[n]}") for n in service.SCALE)


class RiskForm(FlaskForm):
    direction = SelectField(_l("Direction of the analysis"), choices=options((d, service.DIRECTION_LABELS[d]) for d in DIRECTIONS))
    area = SelectField(_l("Area"), choices=options((a, service.AREA_LABELS[a]) for a in AREAS))
    business_process = StringField(_l("Process"), validators=[DataRequired(), Length(max=200)])
    unit_id = SelectField(_l("Structural division"), coerce=int, choices=[])
    description = TextAreaField(_l("Corruption risk: what could happen"), validators=[DataRequired(), Length(max=4000)])
    scheme = TextAreaField(_l("Corruption scheme: how it would be done"), validators=[Length(max=4000)])
    factors = TextAreaField(_l("Corruption-generating factors"), validators=[Length(max=4000)])
    positions = StringField(_l("Positions that could be involved"), validators=[Length(max=1000)])
    controls = TextAreaField(_l("Controls already in place"), validators=[Length(max=4000)])
    likelihood = SelectField(_l("Likelihood"), coerce=int, choices=_scale(service.LIKELIHOOD_LABELS), default=3)
    impact = SelectField(_l("Impact"), coerce=int, choices=_scale(service.IMPACT_LABELS), default=3)
    owner = StringField(_l("Risk owner (position)"), validators=[Length(max=200)])
    mitigation = TextAreaField(_l("Mitigation measures"), validators=[Length(max=4000)])
    deadline = DateField(_l("Deadline of the measures"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options((s, service.STATUS_LABELS[s]) for s in RISK_STATUSES))

    def values(self) -> dict:
        data = {name: getattr(self, "business_process" if name == "process" else name).data
                for name in service.RISK_FIELDS}
        data["unit_id"] = data["unit_id"] or None
        return {k: ("" if v is None and k not in ("unit_id", "deadline") else v) for k, v in data.items()}


class ApproveForm(FlaskForm):
    approved_on = DateField(_l("Approved on"), validators=[DataRequired()])
    decision = StringField(_l("Decision (body, minutes number)"), validators=[DataRequired(), Length(max=300)])


class MediaForm(FlaskForm):
    published_on = DateField(_l("Date of publication"), validators=[DataRequired()])
    source = StringField(_l("Source (site, newspaper, channel)"), validators=[DataRequired(), Length(max=200)])
    link = URLField(_l("Link"), validators=[Optional(), URL(require_tld=False), Length(max=500)])
    subject = TextAreaField(_l("Subject"), validators=[DataRequired(), Length(max=2000)])
    tone = SelectField(_l("Tone"), choices=options((t, service.TONE_LABELS[t]) for t in TONES))
    action = TextAreaField(_l("Action taken"), validators=[Length(max=2000)])


class HearingForm(FlaskForm):
    unit_id = SelectField(_l("Structural division"), coerce=int, choices=[], validators=[DataRequired()])
    heard_on = DateField(_l("Heard on"), validators=[DataRequired()])
    minutes = TextAreaField(_l("Minutes: what was heard and decided"), validators=[Length(max=8000)])
    minutes_file = FileField(_l("Minutes file (PDF, Word or a photo, up to 10 MB)"))


class DeclarantForm(FlaskForm):
    user_id = SelectField(_l("Employee"), coerce=int, choices=[], validators=[DataRequired()])
    position = StringField(_l("Position"), validators=[Length(max=200)])


class PositionForm(FlaskForm):
    title = StringField(_l("Position"), validators=[DataRequired(), Length(max=200)])
    unit_id = SelectField(_l("Structural division"), coerce=int, choices=[])
    basis = TextAreaField(_l("Grounds: the state function it performs"), validators=[Length(max=2000)])


class ActionForm(FlaskForm):
    """Carries the CSRF token of a button."""
