"""Every paged list of the clinic's pages takes page numbers from 1 to 100,000, as the
API does: anything else is a 400 that says so, never a 500 from an offset that
overflows the database's integer."""

from __future__ import annotations

import pytest

from diary.extensions import db
from tests.conftest import PASSWORD, make_user

# Every clinic page that takes ?page=.
PAGED = ["/", "/audit", "/blocks/{block}/corrections"]
BAD_PAGES = ["99999999999999999999", "100001", "0", "-1", "two", "1.5", "1e3", ""]


@pytest.fixture
def admin_client(client, world):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    client.post("/login", data={"email": "admin@a.example", "password": PASSWORD})
    return client


@pytest.mark.parametrize("path", PAGED)
def test_a_page_number_out_of_range_is_a_400_that_says_the_range(admin_client, world, path):
    path = path.format(block=world.block.id)
    for bad in BAD_PAGES:
        response = admin_client.get(path, query_string={"page": bad})
        assert response.status_code == 400, bad
        assert "Page numbers are whole numbers from 1 to 100,000" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGED)
def test_page_numbers_in_range_still_page(admin_client, world, path):
    path = path.format(block=world.block.id)
    assert admin_client.get(path).status_code == 200
    assert admin_client.get(path, query_string={"page": "2"}).status_code == 200
    assert admin_client.get(path, query_string={"page": "100000"}).status_code == 200
