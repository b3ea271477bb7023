"""section1: which of the ACS's records feeds a deliverable activity (risk-map, risk-analysis, media-log)

Revision ID: 0028_section1
Revises: 0027_planyear
"""
import sqlalchemy as sa
from alembic import op

revision = "0028_section1"
down_revision = "0027_planyear"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("fed_by", sa.String(length=20), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("fed_by")
