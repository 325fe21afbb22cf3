"""left and right scored apart after a bilateral block

Revision ID: q24a1b2c3d4e
Revises: p21a0f7d3c91
Create Date: 2026-12-04 20:00:00

A block gains ``scoring`` ("one" or "sides") and a baseline per side; an entry and its
revisions gain a score per side, and their one score (like the block's one baseline)
may be empty when a bilateral block is scored apart. Every block already recorded is
scored as one, so every figure it had is unchanged.
"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'q24a1b2c3d4e'
down_revision = "f25a1b2c3d4e"
branch_labels = None
depends_on = None


@contextmanager
def _rebuilt(table):
    """A batch change of ``table``. SQLite rebuilds the table and reflects the schema to do
    it, and cannot reflect the MRN's expression index (which it leaves as it is)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection of expression-based index"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            yield batch_op


def upgrade():
    with _rebuilt('block') as batch_op:
        # Existing blocks, bilateral ones included, are scored as one (issue 24, item 4).
        batch_op.add_column(
            sa.Column('scoring', sa.String(length=8), server_default='one', nullable=False)
        )
        batch_op.add_column(sa.Column('baseline_pain_left', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('baseline_pain_right', sa.Integer(), nullable=True))
        batch_op.alter_column('baseline_pain', existing_type=sa.Integer(), nullable=True)
    with _rebuilt('diary_entry') as batch_op:
        batch_op.add_column(sa.Column('pain_left', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pain_right', sa.Integer(), nullable=True))
        batch_op.alter_column('pain', existing_type=sa.Integer(), nullable=True)
    with _rebuilt('entry_revision') as batch_op:
        batch_op.add_column(sa.Column('pain_left', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pain_right', sa.Integer(), nullable=True))
        batch_op.alter_column('pain', existing_type=sa.Integer(), nullable=True)


def downgrade():
    connection = op.get_bind()
    apart = connection.execute(sa.text("SELECT count(*) FROM block WHERE scoring = 'sides'")).scalar()
    if apart:
        raise RuntimeError(
            f"{apart} blocks are scored left and right apart; the earlier schema has one "
            "score per entry, so it cannot hold them. Nothing was changed."
        )
    with _rebuilt('entry_revision') as batch_op:
        batch_op.alter_column('pain', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('pain_right')
        batch_op.drop_column('pain_left')
    with _rebuilt('diary_entry') as batch_op:
        batch_op.alter_column('pain', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('pain_right')
        batch_op.drop_column('pain_left')
    with _rebuilt('block') as batch_op:
        batch_op.alter_column('baseline_pain', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('baseline_pain_right')
        batch_op.drop_column('baseline_pain_left')
        batch_op.drop_column('scoring')
