"""one-time passwords must be changed

Revision ID: 7c3f4e5d6a81
Revises: 6b2e3d4c5f70
Create Date: 2026-11-24 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3f4e5d6a81'
down_revision = '6b2e3d4c5f70'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
