"""ix_block_may_call_for_action with the purpose among its columns (SQLite, without
statistics, preferred ix_block_clinic_performed for the worklist's next steps)

Revision ID: w05c3d4e5f6a
Revises: w05b2c3d4e5f
Create Date: 2026-12-05 02:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w05c3d4e5f6a'
down_revision = 'w05b2c3d4e5f'
branch_labels = None
depends_on = None

DIAGNOSTIC_IN_SERIES = "purpose = 'diagnostic' AND archived_at IS NULL"


def _index(columns):
    op.create_index(
        'ix_block_may_call_for_action',
        'block',
        columns,
        unique=False,
        sqlite_where=sa.text(f"may_call_for_action = 1 AND {DIAGNOSTIC_IN_SERIES}"),
        postgresql_where=sa.text(f"may_call_for_action AND {DIAGNOSTIC_IN_SERIES}"),
    )


def upgrade():
    op.drop_index('ix_block_may_call_for_action', table_name='block')
    _index(['clinic_id', 'purpose', 'performed_at'])


def downgrade():
    op.drop_index('ix_block_may_call_for_action', table_name='block')
    _index(['clinic_id', 'performed_at'])
