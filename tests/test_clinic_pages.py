"""Clinician pages: sign-in, patients, blocks, diary link, dashboard and access."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import AuditEvent, Block, Patient, User
from diary.services.patients import PatientInput, create_patient
from tests.conftest import PASSWORD, add_entries, make_block, search

# Yesterday in the clinic's zone (the fixtures' clinics are in Chicago): a recent block, whatever
# today's date is.
CLINIC_ZONE = ZoneInfo("America/Chicago")
BLOCK_DAY = (datetime.now(CLINIC_ZONE) - timedelta(days=1)).date()
VALID_BLOCK = {
    "performed_date": BLOCK_DAY.isoformat(),
    "performed_time": "09:30",
    "region": "cervical",
    "levels": ["C4-C5", "C3-C4"],
    "side": "bilateral",
    "purpose": "diagnostic",
    "sequence": "first",
    "agent": "bupivacaine:0.5",
    "agent_other": "",
    "volume_ml_per_level": "0.5",
    "sedation": "none",
    "baseline_pain": "7",
    "activities": "turn head left\nlook up\n",
}


def count(model) -> int:
    return db.session.execute(select(func.count(model.id))).scalar_one()


# --- sign-in ----------------------------------------------------------------------------


def test_pages_need_sign_in(client, world):
    response = client.get(f"/blocks/{world.block.id}")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_sign_in_and_out(client, world, auth):
    assert auth.login().status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_and_audited(client, world, auth):
    response = auth.login(password="wrong")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert db.session.execute(select(AuditEvent.action)).scalars().all()[-1] == "login.failed"


def test_passwords_are_hashed(world):
    user = db.session.execute(select(User).filter_by(email="doc@a.example")).scalar_one()
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/patients", "/patients"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirect_stays_on_site(client, world, target, expected):
    response = client.post(
        "/login?next=" + target, data={"email": "doc@a.example", "password": PASSWORD}
    )
    assert response.location == expected


# --- patients and blocks ----------------------------------------------------------------


def test_add_patient(client, signed_in):
    response = client.post(
        "/patients/new", data={"display_name": "K.L.", "mrn": "12345", "birth_year": "1970"}
    )
    assert response.status_code == 302
    patient = db.session.execute(select(Patient).filter_by(display_name="K.L.")).scalar_one()
    assert (patient.mrn, patient.birth_year, patient.clinic_id) == (
        "12345",
        1970,
        signed_in.clinic.id,
    )
    assert response.location == f"/patients/{patient.id}/blocks/new"


def test_add_patient_requires_a_name(client, signed_in):
    before = count(Patient)
    response = client.post("/patients/new", data={"display_name": " ", "birth_year": "12"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter a display name or initials." in page and "four-digit year" in page
    assert count(Patient) == before


def test_record_block_creates_diary_link(client, signed_in):
    response = client.post(f"/patients/{signed_in.patient.id}/blocks/new", data=VALID_BLOCK)
    assert response.status_code == 302
    block = db.session.execute(select(Block).order_by(Block.id.desc())).scalars().first()
    # 09:30 in Chicago on that day, whatever its offset from UTC
    clinic_time = datetime.combine(BLOCK_DAY, time(9, 30), CLINIC_ZONE)
    assert block.performed_at == clinic_time.astimezone(UTC)
    assert block.levels == ["C3-C4", "C4-C5"]
    assert (block.agent, block.concentration, block.baseline_pain) == ("bupivacaine", "0.5", 7)
    assert block.activities == ["turn head left", "look up"]
    assert block.link_expires_at == block.performed_at + timedelta(hours=48)
    page = client.get(response.location).get_data(as_text=True)
    assert f"/d/{block.diary_token}" in page
    assert "<svg" in page and "Copy link" in page


@pytest.mark.parametrize(
    "change, message",
    [
        ({"levels": ["L4-L5"]}, "Choose levels of the cervical spine only."),
        ({"levels": []}, "Choose at least one level."),
        ({"baseline_pain": "11"}, "Choose the baseline pain"),
        ({"volume_ml_per_level": "50"}, "between 0.1 and 5 mL"),
        ({"performed_date": ""}, "Enter the date of the block."),
        ({"agent": "other:", "agent_other": ""}, "Name the other agent"),
        ({"region": "sacral"}, "Not a valid choice"),
    ],
)
def test_block_form_refuses_bad_input(client, signed_in, change, message):
    before = count(Block)
    response = client.post(
        f"/patients/{signed_in.patient.id}/blocks/new", data=VALID_BLOCK | change
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(Block) == before


def test_other_agent_is_described(client, signed_in):
    client.post(
        f"/patients/{signed_in.patient.id}/blocks/new",
        data=VALID_BLOCK | {"agent": "other:", "agent_other": "mepivacaine 1.5%"},
    )
    block = db.session.execute(select(Block).order_by(Block.id.desc())).scalars().first()
    assert (block.agent, block.agent_other) == ("other", "mepivacaine 1.5%")


def test_revoke_and_reopen_link(client, signed_in):
    block = signed_in.block
    client.post(f"/blocks/{block.id}/link/revoke")
    db.session.refresh(block)
    assert block.link_revoked_at is not None
    assert client.get(f"/d/{block.diary_token}").status_code == 410
    client.post(f"/blocks/{block.id}/link/reopen")
    db.session.refresh(block)
    assert block.link_revoked_at is None
    assert client.get(f"/d/{block.diary_token}").status_code == 200


def test_reopening_an_expired_link_gives_it_a_new_lifetime(client, signed_in):
    block = signed_in.block
    block.link_expires_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    client.post(f"/blocks/{block.id}/link/reopen")
    db.session.refresh(block)
    assert block.link_expires_at > datetime.now(UTC) + timedelta(hours=47)


def test_a_block_recorded_after_its_link_expired_says_so_and_offers_paper_or_reopening(
    client, signed_in
):
    three_days_ago = (datetime.now(CLINIC_ZONE) - timedelta(days=3)).date().isoformat()
    saved = client.post(
        f"/patients/{signed_in.patient.id}/blocks/new",
        data=VALID_BLOCK | {"performed_date": three_days_ago},
        follow_redirects=True,
    )
    page = saved.get_data(as_text=True)
    assert "Give the patient the diary link below" not in page
    assert "Its diary link has already expired (48 h after the procedure)" in page
    assert "The patient cannot log with this link: it expired" in page
    assert "Copy link" not in page and "<svg" not in page  # nothing to hand over
    assert '<details open>\n      <summary id="paper-heading">' in page  # the paper diary
    block = db.session.execute(select(Block).order_by(Block.id.desc())).scalars().first()
    reopened = client.post(f"/blocks/{block.id}/link/reopen", follow_redirects=True)
    page = reopened.get_data(as_text=True)
    assert "Copy link" in page and f"/d/{block.diary_token}" in page
    assert client.get(f"/d/{block.diary_token}").status_code == 200


def test_link_actions_are_post_only(client, signed_in):
    assert client.get(f"/blocks/{signed_in.block.id}/link/revoke").status_code == 405


# --- dashboard and block page ------------------------------------------------------------


def test_dashboard_lists_own_blocks_with_status_and_relief(client, signed_in):
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1})
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "J.S." in page and "Z.Z." not in page
    assert "lidocaine 2%" in page and ">L4-L5</span>, <span" in page and ">L5-S1<" in page
    assert "In progress" in page and "100%" in page
    assert "verdict-positive" in page


def test_dashboard_pages_newest_first_without_counting(client, signed_in):
    from diary.clinic.patients import PAGE_SIZE

    world = signed_in
    first = world.block.performed_at
    for n in range(PAGE_SIZE):  # with the world's own block: one more than a page
        make_block(
            world.clinic, world.patient, world.clinician, performed_at=first + timedelta(days=n + 1)
        )
    db.session.commit()
    page_one = client.get("/").get_data(as_text=True)
    assert page_one.count('class="verdict ') == PAGE_SIZE
    assert f'href="/blocks/{world.block.id}"' not in page_one  # the oldest is on page 2
    assert "Page 1" in page_one and "page=2" in page_one and "Newer" not in page_one
    page_two = client.get("/?page=2").get_data(as_text=True)
    assert page_two.count('class="verdict ') == 1
    assert f'href="/blocks/{world.block.id}"' in page_two
    assert "Newer" in page_two and "page=3" not in page_two
    archived = client.get("/?archived=1").get_data(as_text=True)
    assert "No blocks" in archived


def test_dashboard_search(client, signed_in):
    assert "J.S." in search(client, "mrn-1").get_data(as_text=True)
    assert "J.S." not in search(client, "nobody").get_data(as_text=True)


def test_dashboard_search_finds_the_start_of_a_name_a_word_of_it_or_the_mrn(client, signed_in):
    world = signed_in
    patient = create_patient(
        world.clinic, PatientInput("María  de la Cruz", "A-7781"), by=world.clinician
    )
    make_block(world.clinic, patient, world.clinician)
    db.session.commit()
    for query in ("maría", "maria", "MARÍA DE", "cruz", "a-77", "  María   de  "):
        assert "María  de la Cruz" in search(client, query).get_data(as_text=True), query
    for query in ("ruz", "7781"):
        assert "María  de la Cruz" not in search(client, query).get_data(as_text=True), query
    # Another clinic's patient of the same name is not found.
    assert "Z.Z." not in search(client, "z.z.").get_data(as_text=True)


def test_block_page_shows_details_entries_chart_and_summary(client, signed_in):
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    db.session.commit()
    page = client.get(f"/blocks/{signed_in.block.id}").get_data(as_text=True)
    assert "Verdict:" in page and "Positive" in page
    assert "peak relief 100% at 0.5 h" in page
    assert "≥50% relief lasted" in page and "≥80% relief lasted" in page
    assert f"/blocks/{signed_in.block.id}/chart.png" in page
    assert 'alt="Chart of pain over hours since the block. Verdict: Positive' in page
    assert "87.5%" in page and "0.25 h" in page
    assert "Baseline pain" in page and "8/10" in page


def test_viewing_a_block_is_audited(client, signed_in):
    client.get(f"/blocks/{signed_in.block.id}")
    event = db.session.execute(select(AuditEvent).filter_by(action="block.view")).scalar_one()
    assert (event.user_id, event.target_id) == (signed_in.clinician.id, signed_in.block.id)


# --- another clinic sees nothing ---------------------------------------------------------

PROTECTED = [
    "/blocks/{block}",
    "/blocks/{block}/chart.png",
    "/blocks/{block}/chart.svg",
    "/blocks/{block}/entries.csv",
    "/patients/{patient}",
    "/patients/{patient}/blocks/new",
]


@pytest.mark.parametrize("template", PROTECTED)
def test_clinician_of_another_clinic_gets_404(client, world, auth, template):
    auth.login("doc@b.example")
    url = template.format(block=world.block.id, patient=world.patient.id)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("action", ["revoke", "reopen"])
def test_another_clinic_cannot_change_the_link(client, world, auth, action):
    auth.login("doc@b.example")
    assert client.post(f"/blocks/{world.block.id}/link/{action}").status_code == 404
    db.session.refresh(world.block)
    assert world.block.link_revoked_at is None


def test_another_clinic_cannot_add_a_block_to_our_patient(client, world, auth):
    auth.login("doc@b.example")
    before = count(Block)
    response = client.post(f"/patients/{world.patient.id}/blocks/new", data=VALID_BLOCK)
    assert response.status_code == 404
    assert count(Block) == before


@pytest.mark.parametrize("template", PROTECTED)
def test_anonymous_is_sent_to_sign_in(client, world, template):
    url = template.format(block=world.block.id, patient=world.patient.id)
    assert client.get(url).status_code == 302


def test_archive_and_restore_a_block(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.5: 2})
    db.session.commit()
    assert client.post(f"/blocks/{block.id}/archive").status_code == 302
    db.session.refresh(block)
    assert block.archived_at is not None and len(block.entries) == 1
    assert "J.S." not in client.get("/").get_data(as_text=True)
    assert "J.S." in client.get("/?archived=1").get_data(as_text=True)
    assert client.get(f"/d/{block.diary_token}").status_code == 410
    assert client.get(f"/blocks/{block.id}").status_code == 200  # still there
    client.post(f"/blocks/{block.id}/restore")
    db.session.refresh(block)
    assert block.archived_at is None
    assert "J.S." in client.get("/").get_data(as_text=True)
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "block.archive" in actions and "block.restore" in actions
