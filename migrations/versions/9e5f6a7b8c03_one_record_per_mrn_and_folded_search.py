"""one record per MRN in a clinic; search terms with accents and punctuation folded

Revision ID: 9e5f6a7b8c03
Revises: 8d4e5f6a7b92
Create Date: 2026-11-27 16:40:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e5f6a7b8c03'
down_revision = '8d4e5f6a7b92'
branch_labels = None
depends_on = None


def _search_text(text):
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _terms(display_name, mrn):
    # As diary.services.patients.search_terms makes them at this revision.
    name = _search_text(display_name)
    words = name.split(" ")
    terms = {
        *(" ".join(words[start:]) for start in range(len(words))),
        *re.split(r"[\W_]+", name),
        re.sub(r"[\W_]+", "", name),
        _search_text(mrn or ""),
    }
    return sorted(term[:100] for term in terms if term)


def upgrade():
    connection = op.get_bind()
    duplicated = connection.execute(
        sa.text(
            "SELECT clinic_id, mrn, count(*) FROM patient WHERE mrn IS NOT NULL "
            "GROUP BY clinic_id, mrn HAVING count(*) > 1"
        )
    ).all()
    if duplicated:
        raise RuntimeError(
            f"{len(duplicated)} MRNs name more than one patient record in a clinic. Merge "
            "each pair first (flask db upgrade 8d4e5f6a7b92; flask merge-patients KEEP_ID "
            "DUPLICATE_ID), then upgrade."
        )
    op.create_index('ix_patient_clinic_mrn', 'patient', ['clinic_id', 'mrn'], unique=True)
    connection.execute(sa.text("DELETE FROM patient_term"))
    rows = [
        {"clinic_id": clinic_id, "patient_id": patient_id, "term": term}
        for patient_id, clinic_id, display_name, mrn in connection.execute(
            sa.text("SELECT id, clinic_id, display_name, mrn FROM patient")
        )
        for term in _terms(display_name, mrn)
    ]
    if rows:
        connection.execute(
            sa.text(
                "INSERT INTO patient_term (clinic_id, patient_id, term) "
                "VALUES (:clinic_id, :patient_id, :term)"
            ),
            rows,
        )


def downgrade():
    op.drop_index('ix_patient_clinic_mrn', table_name='patient')
