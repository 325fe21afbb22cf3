"""Daily scores after the hourly window: the clinic's daily_days, the block's, the entry's slot

Revision ID: d24a0b1c2d3e
Revises: q24a1b2c3d4e
Create Date: 2026-12-04 20:00:00

Existing clinics take the default of 14 daily scores for their new blocks; existing
blocks keep the diary they were given (daily_days 0: no daily slot, the same link expiry)
and their entries answer hourly slots.
"""

import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d24a0b1c2d3e"
down_revision = "q24a1b2c3d4e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinic") as batch:
        batch.add_column(sa.Column("daily_days", sa.Integer(), nullable=False, server_default="14"))
    with op.batch_alter_table("block") as batch:
        batch.add_column(sa.Column("daily_days", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("diary_entry") as batch:
        batch.add_column(
            sa.Column("slot", sa.String(length=10), nullable=False, server_default="hourly")
        )


def downgrade():
    # SQLite rebuilds each table to drop a column, reflecting the patient table's MRN
    # expression index, which it cannot read (and leaves as it is).
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection of expression-based index"
        )
        _downgrade()


def _downgrade():
    with op.batch_alter_table("diary_entry") as batch:
        batch.drop_column("slot")
    with op.batch_alter_table("block") as batch:
        batch.drop_column("daily_days")
    with op.batch_alter_table("clinic") as batch:
        batch.drop_column("daily_days")
