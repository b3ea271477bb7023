"""staffcourse: who a course is for (staff, students or everyone)

Revision ID: 0027_staffcourse
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = "0027_staffcourse"
down_revision = "0026_activity_kinds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=20), nullable=False, server_default="everyone"))


def downgrade():
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("audience")
