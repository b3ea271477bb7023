"""activity_kinds: how each plan activity is measured (reach, deliverable, units, register)

Revision ID: 0026_activity_kinds
Revises: 0025_cache_versions
"""
import sqlalchemy as sa
from alembic import op

revision = "0026_activity_kinds"
down_revision = "0025_cache_versions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="reach"))


def downgrade():
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("kind")
