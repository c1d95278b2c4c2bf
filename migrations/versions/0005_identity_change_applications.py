"""identity change applications: a member's request to change real name or ID number

The ID numbers before and after are stored encrypted (Fernet text, core/crypto), like users.id_number_encrypted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 03:03:39.007419

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_change_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('old_name', sa.String(length=50), nullable=False),
    sa.Column('new_name', sa.String(length=50), nullable=False),
    sa.Column('old_id_number_encrypted', sa.Text(), nullable=True),
    sa.Column('new_id_number_encrypted', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['applications.id'], name=op.f('fk_identity_change_applications_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_change_applications'))
    )


def downgrade():
    op.drop_table('identity_change_applications')
