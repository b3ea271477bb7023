"""authoring: where each content version came from, editors' grants, drafts; contests keep their brief's Markdown

Revision ID: 0024_content_revisions
Revises: 0023_game_facts
"""
import sqlalchemy as sa
from alembic import op

revision = "0024_content_revisions"
down_revision = "0023_game_facts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.UniqueConstraint("kind", "slug", "number"),
    )
    op.create_table(
        "content_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "slug"),
    )
    op.create_table(
        "content_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "slug"),
    )
    # The brief as written (Markdown), so a contest can be exported and edited, not only shown.
    op.add_column("contests", sa.Column("brief", sa.Text(), nullable=False, server_default=sa.text("''")))


def downgrade():
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_column("brief")
    op.drop_table("content_drafts")
    op.drop_table("content_grants")
    op.drop_table("content_revisions")
