"""Forms for lessons: both carry only the CSRF token; answers are read from the radio buttons."""
from flask_wtf import FlaskForm


class LessonActionForm(FlaskForm):
    """Mark a lesson complete, or submit its check questions."""
