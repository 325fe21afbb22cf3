"""MRNs compared whatever their case and without surrounding spaces

Revision ID: p21a0f7d3c91
Revises: s20b2c3d4e5f
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'p21a0f7d3c91'
down_revision = "s20b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    # Checked before anything is written: a refusal leaves the database as it was.
    clashes = connection.execute(
        sa.text(
            "SELECT p.clinic_id, p.id FROM patient p JOIN ("
            " SELECT clinic_id, lower(trim(mrn)) AS folded FROM patient"
            " WHERE mrn IS NOT NULL AND trim(mrn) <> ''"
            " GROUP BY clinic_id, lower(trim(mrn)) HAVING count(*) > 1"
            ") c ON c.clinic_id = p.clinic_id AND c.folded = lower(trim(p.mrn))"
            " ORDER BY c.clinic_id, c.folded, p.id"
        )
    ).all()
    if clashes:
        groups = {}
        for clinic_id, patient_id in clashes:
            groups.setdefault(clinic_id, []).append(patient_id)
        # Record ids only: an MRN is the patient's, and this message ends up in logs.
        listed = "; ".join(
            f"clinic {clinic_id}: patient records {', '.join(map(str, ids))}"
            for clinic_id, ids in groups.items()
        )
        raise RuntimeError(
            "Some MRNs differ only in case or surrounding spaces (a-17 and A-17), "
            f"so they name one patient twice ({listed}). Merge each pair first (flask db "
            "upgrade c3d4e5f6a7b8; flask merge-patients KEEP_ID DUPLICATE_ID), or correct "
            "an MRN that names someone else, then upgrade."
        )
    connection.execute(
        sa.text(
            "UPDATE patient SET mrn = CASE WHEN trim(mrn) = '' THEN NULL ELSE trim(mrn) END "
            "WHERE mrn <> trim(mrn) OR trim(mrn) = ''"
        )
    )
    op.drop_index('ix_patient_clinic_mrn', table_name='patient')
    op.create_index(
        'ix_patient_clinic_mrn_folded',
        'patient',
        ['clinic_id', sa.text('lower(mrn)')],
        unique=True,
    )


def downgrade():
    op.drop_index('ix_patient_clinic_mrn_folded', table_name='patient')
    op.create_index('ix_patient_clinic_mrn', 'patient', ['clinic_id', 'mrn'], unique=True)
