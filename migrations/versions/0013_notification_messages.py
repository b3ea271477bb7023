"""notifications: the gettext message and its parameters, shown in each reader's language

Revision ID: 0013_notification_messages
Revises: 0012_language_choice
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_notification_messages"
down_revision = "0012_language_choice"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("notifications", sa.Column("message", sa.Text(), nullable=False, server_default=""))
    op.add_column("notifications", sa.Column("params", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("params")
        batch_op.drop_column("message")
