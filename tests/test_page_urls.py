"""The patient pages' addresses built once (diary/patient/page_urls.py) read as
``url_for`` builds them, under any script root, for any diary."""

from __future__ import annotations

import pytest
from flask import url_for

from diary.patient.page_urls import page_url_for

TOKENS = ("Ab3-_xYz" * 5, "another-token_9")
CALLS = (
    ("static", {"filename": "css/app.css"}),
    ("static", {"filename": "js/diary.js"}),
    ("patient.service_worker", {}),
    ("patient.manifest", {"token": None}),
    ("patient.reminders", {"token": None}),
    ("patient.add_entry", {"token": None}),
    ("patient.edit_entry", {"token": None, "entry_id": 2**31 - 1}),
    ("api.diary_add_entry", {"token": None}),
    ("api.diary_subscribe", {"token": None}),
)


@pytest.mark.parametrize("root", ["", "/diary", "/a%20b"])
def test_an_address_built_once_reads_as_url_for_builds_it(app, root):
    for token in TOKENS:
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint, values in CALLS:
                values = {
                    name: token if name == "token" else value for name, value in values.items()
                }
                assert page_url_for(endpoint, **values) == url_for(endpoint, **values)


def test_a_token_an_address_would_change_is_built_by_url_for(app):
    with app.test_request_context("/"):
        for token in ("a b", "é", "a/b", "zzTOKENzzMARKzz"):
            assert page_url_for("patient.manifest", token=token) == url_for(
                "patient.manifest", token=token
            )
