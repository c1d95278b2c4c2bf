"""station notice and suspension

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 02:53:24.353808

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: a batch "recreate" on SQLite would drop the R*Tree
# triggers that migration 0004 put on the stations table (SQLite ≥ 3.35 drops columns itself).
def upgrade():
    op.add_column('stations', sa.Column('is_suspended', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('stations', sa.Column('public_notice', sa.String(length=200), nullable=True))


def downgrade():
    op.drop_column('stations', 'public_notice')
    op.drop_column('stations', 'is_suspended')
