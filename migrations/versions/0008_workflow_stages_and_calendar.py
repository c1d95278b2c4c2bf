"""workflow stages and timed steps; the working-day calendar

Applications learn where they are in their kind's stages (`stage`) and when a timed stage such as a
public notice (公示) is over (`stage_due_at`). Open applications of the kinds that existed before
(membership, transfer, identity change: one stage, "review") are placed in it.

`calendar_days` holds the days that differ from the ordinary week (public holidays, make-up
working days), for counting working days.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:40:00

"""
from alembic import op
import sqlalchemy as sa



revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('stage_due_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_applications_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_stage_due_at'), ['stage_due_at'], unique=False)
    op.execute(
        "UPDATE applications SET stage = 'review' "
        "WHERE status IN ('submitted', 'needs_info', 'resubmitted')"
    )
    op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_calendar_days_kind_known')),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days')),
    )


def downgrade():
    op.drop_table('calendar_days')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_stage_due_at'))
        batch_op.drop_index(batch_op.f('ix_applications_stage'))
        batch_op.drop_column('stage_due_at')
        batch_op.drop_column('stage')
