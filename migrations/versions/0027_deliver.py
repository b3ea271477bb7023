"""deliverables: responsible units, reporters, deliverable periods, evidence

Revision ID: 0027_deliver
Revises: 0026_activity_kinds
"""
import sqlalchemy as sa
from alembic import op

revision = "0027_deliver"
down_revision = "0026_activity_kinds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('responsible_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_responsible_units_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsible_units')),
    sa.UniqueConstraint('plan_id', 'key', name=op.f('uq_responsible_units_plan_id_key'))
    )
    with op.batch_alter_table('responsible_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responsible_units_plan_id'), ['plan_id'], unique=False)

    op.create_table('activity_units',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_units_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['responsible_units.id'], name=op.f('fk_activity_units_unit_id_responsible_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'unit_id', name=op.f('pk_activity_units'))
    )
    op.create_table('deliverables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('period_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_deliverables_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_deliverables_person_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['responsible_units.id'], name=op.f('fk_deliverables_unit_id_responsible_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverables')),
    sa.UniqueConstraint('activity_id', 'period_number', name=op.f('uq_deliverables_activity_id_period_number'))
    )
    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverables_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverables_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliverables_unit_id'), ['unit_id'], unique=False)

    op.create_table('unit_reporters',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('named_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['responsible_units.id'], name=op.f('fk_unit_reporters_unit_id_responsible_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unit_reporters_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'user_id', name=op.f('pk_unit_reporters'))
    )
    with op.batch_alter_table('unit_reporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_reporters_user_id'), ['user_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('deliverable_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('thumb_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('file_kind', sa.String(length=10), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(deliverable_id IS NULL) <> (event_id IS NULL)', name=op.f('ck_evidence_evidence_of_one_thing')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_evidence_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_evidence_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deliverable_id'], ['deliverables.id'], name=op.f('fk_evidence_deliverable_id_deliverables'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_evidence_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_added_by_id'), ['added_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_deliverable_id'), ['deliverable_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_event_id'), ['event_id'], unique=False)



def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_event_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_deliverable_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_added_by_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_activity_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('unit_reporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_reporters_user_id'))

    op.drop_table('unit_reporters')
    with op.batch_alter_table('deliverables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverables_unit_id'))
        batch_op.drop_index(batch_op.f('ix_deliverables_person_id'))
        batch_op.drop_index(batch_op.f('ix_deliverables_activity_id'))

    op.drop_table('deliverables')
    op.drop_table('activity_units')
    with op.batch_alter_table('responsible_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responsible_units_plan_id'))

    op.drop_table('responsible_units')
