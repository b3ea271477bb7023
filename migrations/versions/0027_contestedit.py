"""contestedit: each contest's own limit on the size of an entry's uploaded file (the cover), in MB

Revision ID: 0027_contestedit
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = "0027_contestedit"
down_revision = "0027_reports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contests") as batch:
        batch.add_column(sa.Column("max_file_mb", sa.Integer(), nullable=False, server_default="5"))


def downgrade():
    with op.batch_alter_table("contests") as batch:
        batch.drop_column("max_file_mb")
