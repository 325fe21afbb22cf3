"""The number of SQL queries a page makes does not grow with the number of rows."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from diary.extensions import db
from diary.models import Block, User
from diary.sample_data import SYNTHETIC_PASSWORD
from diary.services.tokens import create_api_token

# (page, dashboard search in force)
PAGES = (
    # The worklist first: it brings the summaries of its patients' diagnostic blocks up to
    # date (as the dashboard does its page's), so both clinics meet them equally stale.
    # Its next steps are read a batch of patients at a time, newest first (the first batch,
    # 100 patients, holds both clinics: beyond, a batch costs four queries more).
    ("/worklist", ""),
    ("/", ""),
    ("/", "S0"),
    ("/d/{token}", ""),
    ("/blocks/{block}", ""),
    ("/patients/{patient}", ""),
    ("/api/v1/patients/{patient}/next-steps", ""),
)
# The worklist reads the records of the patients whose next steps it works out, in four
# queries whatever their number, and none when it has no one to work out (every patient's
# steps kept, or, as in the small clinic here, no patient who may have one).
PROCEDURE_QUERIES = 4


@contextmanager
def counted_queries():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def page_queries(client, clinic_id: int) -> dict[str, int]:
    client.post("/logout")
    client.post(
        "/login",
        data={"email": f"synth-{clinic_id}@bench.example", "password": SYNTHETIC_PASSWORD},
    )
    block = db.session.execute(select(Block).where(Block.clinic_id == clinic_id)).scalars().first()
    # Read now: a search is kept with the sign-in, and its commit expires the block.
    ids = dict(token=block.diary_token, block=block.id, patient=block.patient_id)
    counts = {}
    for template, search in PAGES:
        url = template.format(**ids)
        client.post("/search", data={"q": search})
        db.session.expunge_all()  # as in production, each request starts with nothing loaded
        with counted_queries() as statements:
            response = client.get(url)
            assert response.status_code == 200, url
        if search:
            assert "matching" in response.get_data(as_text=True)
        counts[(template, search)] = len(statements)
    return counts


@pytest.mark.parametrize("summaries", ["stored", "stale"])
def test_pages_make_the_same_number_of_queries_for_few_and_many_rows(runner, client, summaries):
    # Stale summaries: the dashboard analyses its page's diaries again, read in one query.
    stale = ["--stale-summaries"] if summaries == "stale" else []
    assert runner.invoke(args=["synth", "--blocks", "3", "--entries", "2", *stale]).exit_code == 0
    assert runner.invoke(args=["synth", "--blocks", "80", "--entries", "14", *stale]).exit_code == 0
    few, many = page_queries(client, 1), page_queries(client, 2)
    first_few, first_many = few.pop(("/worklist", "")), many.pop(("/worklist", ""))
    assert few == many
    assert first_many - first_few in (0, PROCEDURE_QUERIES)


def test_api_block_list_makes_the_same_number_of_queries_for_few_and_many_rows(runner, client):
    def list_queries(clinic_id: int) -> int:
        user = db.session.execute(select(User).where(User.clinic_id == clinic_id)).scalar_one()
        _, token = create_api_token(user, "query count")
        db.session.commit()
        db.session.expunge_all()
        with counted_queries() as statements:
            response = client.get(
                "/api/v1/blocks?page=1", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200
        blocks = {1: 3, 2: 80}[clinic_id]
        assert (response.json["total"], response.json["per_page"]) == (blocks, 50)
        assert len(response.json["items"]) == min(50, blocks)
        return len(statements)

    assert runner.invoke(args=["synth", "--blocks", "3", "--entries", "2"]).exit_code == 0
    assert runner.invoke(args=["synth", "--blocks", "80", "--entries", "14"]).exit_code == 0
    assert list_queries(1) == list_queries(2)
