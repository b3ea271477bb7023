"""notifications: what each is about, and when a later event made it done

Revision ID: 0015_notification_subjects
Revises: 0014_ring_team_answers
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_notification_subjects"
down_revision = "0014_ring_team_answers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_notifications_subject", ["subject"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_subject")
        batch_op.drop_column("done_at")
        batch_op.drop_column("subject")
