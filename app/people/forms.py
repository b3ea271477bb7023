"""Forms for signing in, setting a password and managing people."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget


def options(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into select options."""
    return [SelectChoice(value, label) for value, label in pairs]

from app.people.models import ROLES


def role_label(role: str) -> str:
    return str({
        "student": _l("Student"), "staff": _l("Employee"), "curator": _l("Curator"),
        "jury": _l("Jury member"), "admin": _l("ACS officer (admin)"), "coordinator": _l("Club coordinator"),
        "editor": _l("Content editor"),
        "dpo": _l("Data protection officer"),
    }[role])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class PersonForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    roles = MultiCheckboxField(_l("Roles"))
    group_id = SelectField(_l("Group"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Account is active"))

    def __init__(self, *args, group_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = options((r, role_label(r)) for r in ROLES)
        self.group_id.choices = options([(0, _l("— none —")), *group_choices])


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    dry_run = BooleanField(_l("Dry run: check the file and report, change nothing"))
    invite = BooleanField(_l("Invite by e-mail the people who have no password yet (runs in the background)"))


class HeadcountForm(FlaskForm):
    value = IntegerField(_l("Headcount"), validators=[InputRequired(), NumberRange(min=0, max=100000)])
    effective_from = DateField(_l("In force from"), validators=[DataRequired()])


class CuratorsForm(FlaskForm):
    curators = MultiCheckboxField(_l("Curators"), coerce=int)


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, e-mail or student id"), validators=[Optional(), Length(max=100)])
    faculty = SelectField(_l("Faculty"), coerce=int, validators=[Optional()])
    group = SelectField(_l("Group"), coerce=int, validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()])
