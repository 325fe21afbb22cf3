"""The clinic's forms refuse a field sent twice as the patient's do (tests/
test_repeated_fields.py): ``baseline_pain=5&baseline_pain=6`` on the block form was saved
with baseline 5 (WTForms keeps the first value, unsaid). Each form is read from its page as
the browser would send it; every single-valued field is then sent twice (the same value
twice, so only the repetition can be refused): a 400 that says so, nothing written. The
form as drawn, sent once, is taken, and fields that take several values (levels) may
repeat."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import (
    Ablation,
    ApiToken,
    AuditEvent,
    Block,
    Checkin,
    Clinic,
    DiaryEntry,
    Patient,
    User,
)
from tests.conftest import PASSWORD, make_ablation, make_user

TWICE = "Two answers were sent for this question"
TWICE_UNSEEN = "sent with one of its fields twice"


class _FormReader(HTMLParser):
    """The (name, value) pairs a browser sends for the page's form posted to ``action``
    (the page's own address when the form names none), as drawn: inputs with a value,
    ticked boxes and radios, chosen options, text areas."""

    def __init__(self, action: str, page_url: str):
        super().__init__()
        self.action, self.page_url = action, page_url
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self.unticked: list[tuple[str, str]] = []  # boxes left empty
        self.select: str | None = None
        self.options: list[str] = []
        self.chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            target = a.get("action") or self.page_url
            self.inside = (a.get("method") or "get").lower() == "post" and target == self.action
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value") or "on"))
                elif a.get("type") == "checkbox":
                    self.unticked.append((name, a.get("value") or "on"))
            else:
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self.select, self.options, self.chosen = name, [], False
        elif tag == "option" and self.select:
            self.options.append(a.get("value") or "")
            if "selected" in a:
                self.pairs.append((self.select, a.get("value") or ""))
                self.chosen = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.chosen and self.options:  # a list chooses its first option
                self.pairs.append((self.select, self.options[0]))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.pairs.append((self.textarea, self.text.removeprefix("\r\n").removeprefix("\n")))
            self.textarea = None


def read_form(client, page_url: str, action: str) -> _FormReader:
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    reader = _FormReader(action, page_url)
    reader.feed(page.get_data(as_text=True))
    assert reader.pairs, (page_url, action)
    return reader


def drawn_form(client, page_url: str, action: str) -> list[tuple[str, str]]:
    return read_form(client, page_url, action).pairs


def filled(pairs: list[tuple[str, str]], answers: dict[str, str | list[str]]):
    """``pairs`` with the answers a clinician gives (a list: several values)."""
    kept = [(name, value) for name, value in pairs if name not in answers]
    for name, value in answers.items():
        kept += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return kept


def post(client, url: str, pairs: list[tuple[str, str]]):
    return client.post(url, data=urlencode(pairs), content_type="application/x-www-form-urlencoded")


TABLES = [Ablation, ApiToken, Block, Checkin, Clinic, DiaryEntry, Patient, User]


def snapshot() -> dict:
    """What a refused form must leave as it was: each table's rows, and the audit trail's
    count (a save is audited)."""
    db.session.expire_all()
    rows = {t.__name__: db.session.scalars(select(t)).all() for t in TABLES}
    state = {
        name: sorted(
            (tuple(sorted((k, repr(v)) for k, v in vars(r).items() if not k.startswith("_"))))
            for r in records
        )
        for name, records in rows.items()
    }
    state["audit"] = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
    return state


@pytest.fixture
def clinic_world(client, world):
    """An admin of clinic A signed in, with an ablation whose 1-month check-in is open."""
    make_user(world.clinic, "admin@a.example", role="admin")
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
    )
    db.session.commit()
    assert post(client, "/login", [("email", "admin@a.example"), ("password", PASSWORD)])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    # An hour after the block (three hours ago), in the clinic's time.
    after = world.block.performed_at.astimezone(ZoneInfo(world.clinic.timezone)) + timedelta(
        hours=1
    )
    return {
        "patient": world.patient.id,
        "block": world.block.id,
        "ablation": ablation.id,
        "yesterday": yesterday,
        "block_day": after.date().isoformat(),
        "block_time": after.strftime("%H:%M"),
    }


# (the page drawing the form, where it posts, the answers a clinician types in)
STAFF_FORMS = [
    ("/patients/new", "/patients/new", {"display_name": "A.B.", "birth_year": "1970"}),
    ("/patients/{patient}/edit", "/patients/{patient}/edit", {"display_name": "J.S. (B)"}),
    (
        "/patients/{patient}/blocks/new",
        "/patients/{patient}/blocks/new",
        {
            "performed_date": "{yesterday}",
            "performed_time": "09:30",
            "region": "lumbar",
            "levels": ["L4-L5", "L5-S1"],
            "volume_ml_per_level": "0.5",
            "baseline_pain": "5",
        },
    ),
    ("/blocks/{block}/edit", "/blocks/{block}/edit", {"activities": "walk"}),
    (
        "/blocks/{block}",
        "/blocks/{block}/entries",
        {"recorded_date": "{block_day}", "recorded_time": "{block_time}", "pain": "3"},
    ),
    (
        "/patients/{patient}/ablations/new",
        "/patients/{patient}/ablations/new",
        {
            "performed_date": "{yesterday}",
            "performed_time": "09:30",
            "region": "lumbar",
            "levels": ["L4-L5", "L5-S1"],
            "baseline_pain": "6",
        },
    ),
    (
        "/ablations/{ablation}/edit",
        "/ablations/{ablation}/edit",
        {"note": "Edited", "confirm_time": "y"},
    ),
    ("/ablations/{ablation}", "/ablations/{ablation}/checkins", {"pain": "3"}),
    ("/settings", "/settings", {"contact_line": "Call 555 0100"}),
    ("/settings/follow-up", "/settings/follow-up", {"checkin_closes_days_after": "59"}),
    ("/settings/users", "/settings/users", {"name": "New One", "email": "new@a.example"}),
    ("/settings/tokens", "/settings/tokens", {"name": "EHR import"}),
    (
        "/account",
        "/account",
        {
            "current_password": PASSWORD,
            "new_password": "another horse battery staple",
            "confirm_password": "another horse battery staple",
        },
    ),
]


def _answers(answers: dict, ids: dict) -> dict:
    return {
        name: value if isinstance(value, list) else value.format(**ids)
        for name, value in answers.items()
    }


@pytest.mark.parametrize(
    "page, action, answers", STAFF_FORMS, ids=[action for _, action, _ in STAFF_FORMS]
)
def test_a_staff_form_with_a_field_sent_twice_is_refused_and_nothing_is_saved(
    client, clinic_world, page, action, answers
):
    page_url, url = page.format(**clinic_world), action.format(**clinic_world)
    form = read_form(client, page_url, url)
    pairs = filled(form.pairs, _answers(answers, clinic_world))
    several = {name for name, _ in pairs if [n for n, _ in pairs].count(name) > 1}
    assert several <= {"levels"}, several  # the drawn form sends a field once
    sent = dict(pairs)
    # Each answer again; each box left empty ticked twice.
    twice = [[*pairs, (name, value)] for name, value in sent.items() if name not in several]
    twice += [
        [*pairs, (name, value), (name, value)]
        for name, value in form.unticked
        if name not in sent and name != "levels"
    ]
    before = snapshot()
    unrefused, unsaid = [], []
    for body in twice:
        name = body[-1][0]
        refused = post(client, url, body)
        text = refused.get_data(as_text=True)
        if refused.status_code != 400:
            unrefused.append((name, refused.status_code))
        elif not (TWICE in text or TWICE_UNSEEN in text):
            unsaid.append(name)
        assert "Traceback" not in text
        assert snapshot() == before, name
    assert (unrefused, unsaid) == ([], [])
    # The same form sent once is taken (levels ticked together among it).
    taken = post(client, url, pairs)
    said = re.findall(r'class="field-error"[^>]*>([^<]*)', taken.get_data(as_text=True))
    assert taken.status_code in (200, 302) and not said, (taken.status_code, said)
    assert snapshot() != before


def test_the_block_form_from_the_trial_keeps_no_first_baseline(client, clinic_world):
    """The outside trial's case: baseline_pain=5&baseline_pain=6 was saved as 5."""
    url = "/patients/{patient}/blocks/new".format(**clinic_world)
    pairs = filled(
        drawn_form(client, url, url),
        {
            "performed_date": clinic_world["yesterday"],
            "performed_time": "09:30",
            "region": "lumbar",
            "levels": ["L4-L5"],
            "volume_ml_per_level": "0.5",
            "baseline_pain": ["5", "6"],
        },
    )
    refused = post(client, url, pairs)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert page.count(TWICE) == 1
    assert db.session.execute(select(func.count(Block.id))).scalar_one() == 2  # both worlds'


def test_sign_in_with_a_field_sent_twice_signs_nobody_in(client, world):
    email = [("email", "doc@a.example"), ("password", PASSWORD)]
    refused = post(client, "/login", [*email, ("email", "doc@b.example")])
    assert refused.status_code != 302 and TWICE in refused.get_data(as_text=True)
    assert client.get("/patients").status_code == 302  # still signed out
    assert post(client, "/login", email).status_code == 302


def test_the_export_filter_with_a_field_sent_twice_is_refused(client, clinic_world):
    refused = client.get("/exports?region=lumbar&region=cervical")
    assert refused.status_code == 400 and TWICE in refused.get_data(as_text=True)
    assert client.get("/exports?region=lumbar").status_code == 200
