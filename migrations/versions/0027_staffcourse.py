"""staffcourse: who a course or a quiz is for (staff, students or everyone)

Revision ID: 0027_staffcourse
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = "0027_staffcourse"
down_revision = "0027_contestedit"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("courses", "quizzes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("audience", sa.String(length=20), nullable=False, server_default="everyone"))


def downgrade():
    for table in ("quizzes", "courses"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("audience")
