"""brain ring: sets in Kazakh and Russian, and a number of questions a game draws from its set

Revision ID: 0019_ring_translations
Revises: 0018_survey_pool
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_ring_translations"
down_revision = "0018_survey_pool"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with constant defaults: SQLite adds them in place, without copying tables
    # that games and answers point to, and sets and games already there keep working (0: all questions).
    op.add_column("ring_sets", sa.Column("per_game", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.add_column("ring_sets", sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.add_column("ring_games", sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table("ring_games", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("ring_sets", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("per_game")
