"""The dashboard's search is planned for its term on PostgreSQL, however often it runs: a
broad term is read down the clinic's date index until the page is full, a narrow one off the
term index. psycopg prepares a statement run five times on a connection, and PostgreSQL may
then keep one plan for any term (a generic plan), which for a broad term reads every
matching patient's block (150-190 ms at 20,000 blocks, against 2.6)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from diary.extensions import db
from diary.models import Clinic
from diary.sample_data import synthetic_clinic
from diary.services.dashboard import dashboard_blocks


def test_a_search_is_planned_for_its_term_however_often_it_runs(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans")
    clinic = db.session.get(
        Clinic, synthetic_clinic(2000, 1, seed=1, stale_summaries=False).clinic_id
    )
    # Broad terms first ("s": every patient; "syn": every MRN), then a narrow one, as a
    # connection of a worker's pool meets them, again and again.
    for term in ["s"] * 8 + ["s00123"] * 8 + ["syn"] * 8 + ["s"] * 4:
        blocks, has_next = dashboard_blocks(clinic, term, False, 0, 25)
        assert blocks and (has_next or term == "s00123")
    generic = db.session.execute(
        text(
            "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements "
            "WHERE statement LIKE '%patient_term.term%'"
        )
    ).scalar_one()
    assert generic == 0
