"""The dashboard's required floor (bench/required_floors.py) answers the real page's bytes,
searched and not: a floor that drew less than the page would prove nothing when
bench/bounds.py finds a target below it."""

from __future__ import annotations

from bench import inprocess, required_floors
from diary.extensions import db
from diary.sample_data import SYNTHETIC_PASSWORD, synthetic_clinic

SAME = "same bytes (the CSRF token aside)"


def test_the_dashboards_required_floor_draws_the_real_page_searched_and_not(app):
    shells: dict[str, required_floors.Shell] = {}
    required_floors.add_required_floors(app, {}, shells)
    user = synthetic_clinic(40, 1, seed=1, stale_summaries=False)
    email = user.email
    db.session.remove()
    signed = app.test_client()
    inprocess.sign_in(signed, email, SYNTHETIC_PASSWORD, csrf=False)
    # Patients S000010 to S000019: ten rows, no next page (the unsearched page has one).
    searching = required_floors.searching_client(app, email, "S00001")
    shells["dashboard"] = required_floors.dashboard_shell(app, signed)
    shells["dashboard_search"] = required_floors.dashboard_shell(app, searching, "S00001")
    assert shells["dashboard"].has_next and not shells["dashboard_search"].has_next

    assert required_floors.floor_against_page(signed) == SAME
    assert required_floors.floor_against_page(searching) == SAME
    searched = searching.get("/_floor/dashboard-required").get_data(as_text=True)
    assert searched.count('<td data-label="Patient">') == 10
    assert "S000019" in searched and "S000020" not in searched

    # Another term kept by the same sign-in is written where the page writes it.
    searching.post("/search", data={"q": "S00002"})
    assert required_floors.floor_against_page(searching) == SAME
