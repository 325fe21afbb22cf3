"""the worklist's next steps read only the diagnostic blocks that may call for action

Revision ID: w05a1b2c3d4e
Revises: n25a0c1d2e3f4
Create Date: 2026-12-05 01:55:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "w05a1b2c3d4e"
down_revision = "n25a0c1d2e3f4"
branch_labels = None
depends_on = None

DIAGNOSTIC_IN_SERIES = "purpose = 'diagnostic' AND archived_at IS NULL"


def upgrade():
    # Every block may call for action until the worklist has read its summary.
    op.add_column(
        "block",
        sa.Column("may_call_for_action", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_index(
        "ix_block_may_call_for_action",
        "block",
        ["clinic_id", "performed_at"],
        unique=False,
        sqlite_where=sa.text(f"may_call_for_action = 1 AND {DIAGNOSTIC_IN_SERIES}"),
        postgresql_where=sa.text(f"may_call_for_action AND {DIAGNOSTIC_IN_SERIES}"),
    )


def downgrade():
    op.drop_index("ix_block_may_call_for_action", table_name="block")
    op.drop_column("block", "may_call_for_action")
