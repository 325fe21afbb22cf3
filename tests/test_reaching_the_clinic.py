"""How a patient reaches the clinic: its contact line and safety text on the diary and
the closed-link page, and side effects reported with a score, shown to the staff."""

from __future__ import annotations

from sqlalchemy import select

from diary.extensions import db
from diary.models import DiaryEntry, utcnow
from tests.conftest import form_id, make_user
from tests.test_verdict_pages import SETTINGS_FORM

CONTACT = "Spine Center · 555-0100, 8am–6pm"
SAFETY_ES = "Si tiene debilidad en las piernas, llame al 555-0199 de inmediato."


def test_the_clinic_sets_its_contact_line_and_safety_text(client, world, auth):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    auth.login("admin@a.example")
    saved = client.post(
        "/settings",
        data=SETTINGS_FORM | {"language": "en", "contact_line": CONTACT, "safety_es": SAFETY_ES},
    )
    assert saved.status_code == 302
    auth.logout()
    diary = f"/d/{world.block.diary_token}"
    english = client.get(diary, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Clinic A" in english and CONTACT in english
    assert "new numbness or weakness in your arms or legs" in english  # the standard text
    spanish = client.get(diary, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert SAFETY_ES in spanish and CONTACT in spanish and "Su clínica" in spanish
    world.block.link_revoked_at = utcnow()
    db.session.commit()
    closed = client.get(diary, headers={"Accept-Language": "en"})
    assert closed.status_code == 410
    page = closed.get_data(as_text=True)
    assert "This diary link is closed" in page and CONTACT in page and "Clinic A" in page
    assert "new numbness or weakness" in page


def test_a_side_effect_ticked_with_a_score_reaches_the_staff(client, world, auth):
    diary = f"/d/{world.block.diary_token}"
    sent = client.post(
        diary + "/entries",
        data={
            "client_id": form_id(),
            "pain": "3",
            "side_effects": ["numbness", "headache"],
            "side_effect_note": "left foot",
        },
    )
    assert sent.status_code == 302
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert entry.side_effects == ["numbness", "headache"]
    assert entry.side_effect_note == "left foot"
    auth.login()
    block_page = client.get(f"/blocks/{world.block.id}").get_data(as_text=True)
    assert "Side effects reported" in block_page
    assert "numbness, headache" in block_page and "left foot" in block_page
    assert "side effect reported" in client.get("/").get_data(as_text=True)


def test_side_effects_through_the_api(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    made = client.post(url, json={"pain": 4, "side_effects": ["weakness"]})
    assert made.status_code == 201
    assert made.get_json()["side_effects"] == ["weakness"]
    plain = client.post(url, json={"pain": 5}).get_json()
    assert plain["side_effects"] == [] and plain["side_effect_note"] is None
    refused = client.post(url, json={"pain": 5, "side_effects": ["dizziness"]})
    assert refused.status_code == 422
    bad_form = client.post(
        f"/d/{world.block.diary_token}/entries",
        data={"client_id": form_id(), "pain": "3", "side_effects": "dizziness"},
    )
    assert bad_form.status_code == 400
    assert len(db.session.execute(select(DiaryEntry)).scalars().all()) == 2
