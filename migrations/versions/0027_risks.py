"""risks: section 1's records — corruption risks and approved maps, media items, hearings of divisions, registers

Revision ID: 0027_risks
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = '0027_risks'
down_revision = '0027_deliver'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('corruption_risks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('process', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('scheme', sa.Text(), nullable=False),
    sa.Column('factors', sa.Text(), nullable=False),
    sa.Column('positions', sa.Text(), nullable=False),
    sa.Column('controls', sa.Text(), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=False),
    sa.Column('impact', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('mitigation', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['carried_from_id'], ['corruption_risks.id'], name=op.f('fk_corruption_risks_carried_from_id_corruption_risks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_corruption_risks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_corruption_risks_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['staff_units.id'], name=op.f('fk_corruption_risks_unit_id_staff_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corruption_risks')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_corruption_risks_plan_id_number'))
    )
    with op.batch_alter_table('corruption_risks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corruption_risks_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corruption_risks_unit_id'), ['unit_id'], unique=False)

    op.create_table('declaration_duties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_declaration_duties_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_declaration_duties_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_declaration_duties_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_duties')),
    sa.UniqueConstraint('activity_id', 'user_id', name=op.f('uq_declaration_duties_activity_id_user_id'))
    )
    with op.batch_alter_table('declaration_duties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_duties_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_duties_user_id'), ['user_id'], unique=False)

    op.create_table('division_hearings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('heard_on', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('minutes_file', sa.String(length=80), nullable=False),
    sa.Column('minutes_type', sa.String(length=40), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_division_hearings_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_division_hearings_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['staff_units.id'], name=op.f('fk_division_hearings_unit_id_staff_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_division_hearings'))
    )
    with op.batch_alter_table('division_hearings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_division_hearings_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_division_hearings_unit_id'), ['unit_id'], unique=False)

    op.create_table('equated_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_equated_positions_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_equated_positions_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['staff_units.id'], name=op.f('fk_equated_positions_unit_id_staff_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equated_positions')),
    sa.UniqueConstraint('activity_id', 'title', name=op.f('uq_equated_positions_activity_id_title'))
    )
    with op.batch_alter_table('equated_positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equated_positions_activity_id'), ['activity_id'], unique=False)

    op.create_table('media_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('tone', sa.String(length=10), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_media_items_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_items'))
    )
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_items_published_on'), ['published_on'], unique=False)

    op.create_table('risk_maps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.String(length=300), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_risk_maps_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_risk_maps_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_maps')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_risk_maps_plan_id'))
    )


def downgrade():
    op.drop_table('risk_maps')
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_items_published_on'))

    op.drop_table('media_items')
    with op.batch_alter_table('equated_positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equated_positions_activity_id'))

    op.drop_table('equated_positions')
    with op.batch_alter_table('division_hearings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_division_hearings_unit_id'))
        batch_op.drop_index(batch_op.f('ix_division_hearings_activity_id'))

    op.drop_table('division_hearings')
    with op.batch_alter_table('declaration_duties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_duties_user_id'))
        batch_op.drop_index(batch_op.f('ix_declaration_duties_activity_id'))

    op.drop_table('declaration_duties')
    with op.batch_alter_table('corruption_risks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corruption_risks_unit_id'))
        batch_op.drop_index(batch_op.f('ix_corruption_risks_plan_id'))

    op.drop_table('corruption_risks')
