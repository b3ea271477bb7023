"""One confirmation step, without JavaScript, for actions that cannot be undone.

The irreversible form posts as before; without `confirmed=yes` its view changes nothing and answers
with this page, which says what cannot be undone and sends the same fields again with the
confirmation. So a stray click, a replayed request or a form without the step does nothing.
"""
from flask import render_template, request

FIELD = "confirmed"


def confirmed() -> bool:
    """Whether this POST carries the person's confirmation of its irreversible action."""
    return request.form.get("confirmed") == "yes"


def confirmation_page(*, question: str, consequence: str, button: str, back: str, details: list[str] | None = None,
                      button_field: tuple[str, str] | None = None, alternative: tuple[str, str, str] | None = None):
    """Render the "are you sure?" step that resends this form's own fields with the confirmation.

    `button_field` (name, value) travels on the confirming button instead of a hidden field, so that
    `alternative` (label, name, value) — a harmless way out such as "save as a draft" — can send
    another value for the same name.
    """
    skip = {"csrf_token", FIELD} | ({button_field[0]} if button_field else set())
    kept = [(name, value) for name, values in request.form.lists() if name not in skip for value in values]
    action = request.full_path.rstrip("?")
    return render_template("confirm.html", question=question, consequence=consequence, button=button, back=back,
                           details=details or [], kept=kept, action=action, button_field=button_field,
                           alternative=alternative)
