"""two-factor sign-in: authenticator secrets, recovery codes, a clinic's requirement

Revision ID: 8d4e5f6a7b92
Revises: 7c3f4e5d6a81
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d4e5f6a7b92'
down_revision = '7c3f4e5d6a81'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, not batch mode: SQLite would rebuild the clinic table, which
    # every other table points at.
    op.add_column(
        'clinic',
        sa.Column('require_two_factor', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column('user', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('user', sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_recovery_code_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('require_two_factor')
