"""The follow-up's files streamed by a real server (outside trial): a streamed body is read
after the view has returned, so what its rows are made from must not need the view's
session. The test client keeps one session across the request and hides this."""

from __future__ import annotations

import csv
import http.cookiejar
import io
import re
import urllib.request
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from diary.extensions import db
from diary.models import Clinic, Patient, User
from tests.conftest import PASSWORD, make_ablation


def signed_in_opener(base_url: str, email: str = "doc@a.example"):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"{base_url}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    fields = {"email": email, "password": PASSWORD} | ({"csrf_token": token[1]} if token else {})
    data = urllib.parse.urlencode(fields)
    opener.open(f"{base_url}/login", data=data.encode())
    return opener


def test_the_follow_up_files_stream_from_a_real_server_with_an_ablation(live_app):
    with live_app.app_context():
        clinic = db.session.scalars(select(Clinic).filter_by(name="Clinic A")).one()
        patient = db.session.scalars(select(Patient).filter_by(clinic_id=clinic.id)).first()
        user = db.session.scalars(select(User).filter_by(clinic_id=clinic.id)).first()
        make_ablation(clinic, patient, user, datetime.now(UTC) - timedelta(days=40))
        db.session.commit()
    opener = signed_in_opener(live_app.base_url)
    for path in (
        "/exports/research/redcap-followup-import.csv",
        "/exports/checkins.csv",
        "/exports/ablations.csv",
    ):
        with opener.open(live_app.base_url + path) as answer:
            assert answer.status == 200
            rows = list(csv.reader(io.StringIO(answer.read().decode("utf-8-sig"))))
        assert len(rows) >= 1, path
    with opener.open(live_app.base_url + "/exports/research/redcap-followup-import.csv") as answer:
        rows = list(csv.reader(io.StringIO(answer.read().decode())))
    assert len(rows) == 2  # the header and the ablation's record
