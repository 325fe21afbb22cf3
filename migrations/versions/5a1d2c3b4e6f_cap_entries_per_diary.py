"""cap entries per diary

Revision ID: 5a1d2c3b4e6f
Revises: 095f0d0e4533
Create Date: 2026-11-24 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1d2c3b4e6f'
down_revision = '095f0d0e4533'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('max_entries_per_diary', sa.Integer(), server_default='200', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('max_entries_per_diary')
