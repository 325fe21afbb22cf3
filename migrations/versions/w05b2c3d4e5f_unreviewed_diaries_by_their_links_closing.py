"""the worklist's finished diaries whose link was closed early, off an index of their own

Revision ID: w05b2c3d4e5f
Revises: w05a1b2c3d4e
Create Date: 2026-12-05 02:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "w05b2c3d4e5f"
down_revision = "w05a1b2c3d4e"
branch_labels = None
depends_on = None

UNREVIEWED = "reviewed_at IS NULL AND archived_at IS NULL"


def upgrade():
    op.create_index(
        "ix_block_unreviewed_revoked",
        "block",
        ["clinic_id", "link_revoked_at", "link_expires_at"],
        unique=False,
        sqlite_where=sa.text(UNREVIEWED),
        postgresql_where=sa.text(UNREVIEWED),
    )


def downgrade():
    op.drop_index("ix_block_unreviewed_revoked", table_name="block")
