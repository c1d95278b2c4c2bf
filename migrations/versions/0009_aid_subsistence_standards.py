"""hardship aid: minimum living (低保) standards per county-level division

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'aid_subsistence_standards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('area', sa.String(length=8), nullable=False),
        sa.Column('monthly_amount', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("area IN ('urban', 'rural')", name=op.f('ck_aid_subsistence_standards_area_known')),
        sa.CheckConstraint('monthly_amount > 0', name=op.f('ck_aid_subsistence_standards_amount_positive')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_subsistence_standards')),
        sa.UniqueConstraint('region_code', 'area', 'effective_from', name='uq_aid_standard_region_area_from'),
    )
    with op.batch_alter_table('aid_subsistence_standards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_subsistence_standards_region_code'), ['region_code'], unique=False)


def downgrade():
    with op.batch_alter_table('aid_subsistence_standards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aid_subsistence_standards_region_code'))
    op.drop_table('aid_subsistence_standards')
