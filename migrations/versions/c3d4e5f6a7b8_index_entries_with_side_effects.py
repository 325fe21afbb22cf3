"""index the entries that report a side effect (the dashboard's flag)

Revision ID: c3d4e5f6a7b8
Revises: b2c3d4e5f6a7
Create Date: 2026-11-27 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b2c3d4e5f6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_diary_entry_side_effects',
        'diary_entry',
        ['block_id'],
        unique=False,
        sqlite_where=sa.text('side_effects IS NOT NULL'),
        postgresql_where=sa.text('side_effects IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_diary_entry_side_effects', table_name='diary_entry')
