"""The number of SQL queries a page makes does not grow with the number of rows."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from diary.extensions import db
from diary.models import Block

PAGES = ("/", "/?q=S0", "/d/{token}", "/blocks/{block}", "/patients/{patient}")


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
        data={"email": f"synth-{clinic_id}@bench.example", "password": "synthetic-bench-password"},
    )
    block = db.session.execute(select(Block).where(Block.clinic_id == clinic_id)).scalars().first()
    counts = {}
    for template in PAGES:
        url = template.format(token=block.diary_token, block=block.id, patient=block.patient_id)
        db.session.expunge_all()  # as in production, each request starts with nothing loaded
        with counted_queries() as statements:
            response = client.get(url)
            assert response.status_code == 200, url
        counts[template] = len(statements)
    return counts


@pytest.mark.parametrize("summaries", ["stored", "stale"])
def test_pages_make_the_same_number_of_queries_for_few_and_many_rows(runner, client, summaries):
    # Stale summaries: the dashboard analyses its page's diaries again, read in one query.
    stale = ["--stale-summaries"] if summaries == "stale" else []
    assert runner.invoke(args=["synth", "--blocks", "3", "--entries", "2", *stale]).exit_code == 0
    assert runner.invoke(args=["synth", "--blocks", "80", "--entries", "14", *stale]).exit_code == 0
    assert page_queries(client, 1) == page_queries(client, 2)
