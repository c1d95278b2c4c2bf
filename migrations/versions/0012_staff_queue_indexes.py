"""applications: indexes for the staff queue at 50,000 applications

Measured with bench/staff_queue.py (docs/performance.md, "Staff queue at 50,000 applications"):

* ix_applications_queue_awaiting (status, union_id, kind, stage, applicant_id, submitted_at, id):
  what awaits a decision in the reviewer's part of the tree — the counts by kind, the "waiting for
  me" stages, the page's ids — read from the index alone (on PostgreSQL too, hence id, which its
  indexes do not hold by themselves). It starts with status, so it replaces
  ix_applications_status; it replaces ix_applications_kind as well, which only the queue used and
  which SQLite, without statistics, preferred to better indexes.
* ix_applications_queue_scope (union_id, status, submitted_at): a part of the tree's applications
  of every status, counted and ordered from the index alone.
* ix_applications_queue_order (submitted_at DESC NULLS LAST, id DESC): the queue's order, so that
  PostgreSQL walks the newest first instead of sorting every row in scope. It replaces
  ix_applications_submitted_at (date filters use it as well). SQLite has no NULLS LAST in an index
  and needs none: NULL sorts first there, so last going down.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_applications_queue_awaiting',
        'applications',
        ['status', 'union_id', 'kind', 'stage', 'applicant_id', 'submitted_at', 'id'],
    )
    op.create_index('ix_applications_queue_scope', 'applications', ['union_id', 'status', 'submitted_at'])
    nulls_last = ' NULLS LAST' if op.get_bind().dialect.name == 'postgresql' else ''
    op.create_index(
        'ix_applications_queue_order', 'applications', [sa.text(f'submitted_at DESC{nulls_last}'), sa.text('id DESC')]
    )
    op.drop_index('ix_applications_submitted_at', table_name='applications')
    op.drop_index('ix_applications_status', table_name='applications')
    op.drop_index('ix_applications_kind', table_name='applications')


def downgrade():
    op.create_index('ix_applications_kind', 'applications', ['kind'])
    op.create_index('ix_applications_status', 'applications', ['status'])
    op.create_index('ix_applications_submitted_at', 'applications', ['submitted_at'])
    op.drop_index('ix_applications_queue_order', table_name='applications')
    op.drop_index('ix_applications_queue_scope', table_name='applications')
    op.drop_index('ix_applications_queue_awaiting', table_name='applications')
