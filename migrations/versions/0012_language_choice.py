"""language: no choice until the person makes one

Revision ID: 0012_language_choice
Revises: 0011_contest_translations

Accounts were created with "en", which made every signed-in person English whatever their
browser asked for. From now on "" means "not chosen" (the browser's language applies); the
accounts that never chose are set back to "".
"""
from alembic import op

revision = "0012_language_choice"
down_revision = "0011_contest_translations"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE users SET language = '' WHERE language = 'en'")


def downgrade():
    op.execute("UPDATE users SET language = 'en' WHERE language = ''")
