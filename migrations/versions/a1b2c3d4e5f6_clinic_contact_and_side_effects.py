"""the clinic's contact line and safety text; side effects reported with an entry

Revision ID: a1b2c3d4e5f6
Revises: 9e5f6a7b8c03
Create Date: 2026-11-27 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = '9e5f6a7b8c03'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: SQLite keeps the tables (batch mode would rebuild them).
    op.add_column('clinic', sa.Column('contact_line', sa.String(length=200), nullable=True))
    op.add_column('clinic', sa.Column('safety_text', sa.JSON(), nullable=True))
    op.add_column('diary_entry', sa.Column('side_effects', sa.JSON(), nullable=True))
    op.add_column(
        'diary_entry', sa.Column('side_effect_note', sa.String(length=500), nullable=True)
    )


def downgrade():
    with op.batch_alter_table('diary_entry', schema=None) as batch_op:
        batch_op.drop_column('side_effect_note')
        batch_op.drop_column('side_effects')
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_column('safety_text')
        batch_op.drop_column('contact_line')
