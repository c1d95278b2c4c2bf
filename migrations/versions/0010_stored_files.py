"""uploaded files: stored_files (sealed blobs live outside the database)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=24), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=64), nullable=True),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('original_name', sa.String(length=100), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('thumbnail_key', sa.String(length=64), nullable=True),
        sa.Column('wrapped_key', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('document', 'visit_photo', 'reply')", name=op.f('ck_stored_files_purpose_known')
        ),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'application/pdf')",
            name=op.f('ck_stored_files_content_type_known'),
        ),
        sa.CheckConstraint('size >= 0', name=op.f('ck_stored_files_size_not_negative')),
        sa.ForeignKeyConstraint(
            ['application_id'], ['applications.id'], name=op.f('fk_stored_files_application_id_applications')
        ),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_stored_files_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
        sa.UniqueConstraint('public_id', name=op.f('uq_stored_files_public_id')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_stored_files_storage_key')),
        sa.UniqueConstraint('thumbnail_key', name=op.f('uq_stored_files_thumbnail_key')),
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_files_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_files_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_files_owner_id'))
        batch_op.drop_index(batch_op.f('ix_stored_files_application_id'))
    op.drop_table('stored_files')
