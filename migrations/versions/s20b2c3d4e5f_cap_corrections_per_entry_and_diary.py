"""cap corrections per entry and per diary

Revision ID: s20b2c3d4e5f
Revises: s20a1b2c3d4e
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 's20b2c3d4e5f'
down_revision = 's20a1b2c3d4e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('max_corrections_per_entry', sa.Integer(), server_default='10', nullable=False)
        )
        batch_op.add_column(
            sa.Column('max_corrections_per_diary', sa.Integer(), server_default='100', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('max_corrections_per_diary')
        batch_op.drop_column('max_corrections_per_entry')
