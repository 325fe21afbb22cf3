"""Phones subscribed to a follow-up's check-in reminders (issue 25)

Revision ID: f25b2c3d4e5f
Revises: d24a0b1c2d3e
Create Date: 2026-12-04 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f25b2c3d4e5f'
down_revision = 'd24a0b1c2d3e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'follow_up_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ablation_id', sa.Integer(), nullable=True),
        sa.Column('block_id', sa.Integer(), nullable=True),
        sa.Column('endpoint', sa.String(length=1000), nullable=False),
        sa.Column('p256dh', sa.String(length=200), nullable=False),
        sa.Column('auth', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reminded_through', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            '(ablation_id IS NULL) <> (block_id IS NULL)',
            name=op.f('ck_follow_up_subscription_one_procedure'),
        ),
        sa.ForeignKeyConstraint(['ablation_id'], ['ablation.id'], name=op.f('fk_follow_up_subscription_ablation_id_ablation')),
        sa.ForeignKeyConstraint(['block_id'], ['block.id'], name=op.f('fk_follow_up_subscription_block_id_block')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_subscription')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_follow_up_subscription_endpoint')),
    )
    with op.batch_alter_table('follow_up_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_subscription_ablation_id', ['ablation_id'], unique=False)
        batch_op.create_index('ix_follow_up_subscription_block_id', ['block_id'], unique=False)


def downgrade():
    op.drop_table('follow_up_subscription')
