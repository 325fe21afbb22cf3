"""a sign-in keeps the dashboard search and a two-factor secret awaiting confirmation
(no longer in the session cookie)

Revision ID: s20a1b2c3d4e
Revises: c3d4e5f6a7b8
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 's20a1b2c3d4e'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dashboard_search', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('pending_totp_secret', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('pending_totp_secret')
        batch_op.drop_column('dashboard_search')
