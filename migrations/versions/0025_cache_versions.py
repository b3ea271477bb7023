"""cache_versions: the version of each namespace of cached figures, shared by every process and host

Revision ID: 0025_cache_versions
Revises: 0024_content_revisions
"""
import sqlalchemy as sa
from alembic import op

revision = "0025_cache_versions"
down_revision = "0024_content_revisions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cache_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_versions")),
    )


def downgrade():
    op.drop_table("cache_versions")
