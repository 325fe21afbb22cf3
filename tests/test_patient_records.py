"""One record per patient: MRNs unique within a clinic, likely duplicates offered before
creating, merging two records of one person, and a search that folds accents and
punctuation (on both databases)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import func, select

from diary import create_app
from diary.extensions import db
from diary.models import AuditEvent, Block, Patient
from diary.services.patients import PatientInput, check_mrn_free, create_patient
from diary.services.rejections import InputRejected
from diary.services.tokens import create_api_token
from tests.conftest import (
    add_concordant_pair,
    add_entries,
    make_block,
    scratch_postgres,
    search,
)

LONG_NAME = "María José de la Cruz-Fernández"


def patients() -> int:
    return db.session.execute(select(func.count(Patient.id))).scalar_one()


@pytest.mark.parametrize(
    "query", ["maria", "jose", "fernandez", "fernández", "Cruz-Fernandez", "MARÍA JOSÉ", "de la"]
)
def test_search_folds_accents_case_and_hyphens(client, signed_in, query):
    create_patient(signed_in.clinic, PatientInput(LONG_NAME), by=signed_in.clinician)
    db.session.commit()
    block = make_block(
        signed_in.clinic,
        db.session.scalars(select(Patient).where(Patient.display_name == LONG_NAME)).one(),
        signed_in.clinician,
    )
    db.session.commit()
    page = search(client, query).get_data(as_text=True)
    assert f"/blocks/{block.id}" in page, query


def test_search_finds_initials_without_their_dots(client, signed_in):
    found = search(client, "js").get_data(as_text=True)
    assert f"/blocks/{signed_in.block.id}" in found
    assert f"/blocks/{signed_in.block.id}" not in search(client, "xy").get_data(as_text=True)


def test_an_mrn_names_one_patient_of_the_clinic(client, signed_in):
    world = signed_in
    taken = client.post("/patients/new", data={"display_name": "K.L.", "mrn": "MRN-1"})
    assert taken.status_code == 409
    body = taken.get_data(as_text=True)
    assert "MRN MRN-1 is already the record of J.S." in body
    assert "J.S.." not in body  # a name ending in a full stop ends the sentence
    assert f"/patients/{world.patient.id}" in body
    assert patients() == 2
    # Another clinic may use the same MRN for its own patient.
    create_patient(world.other_clinic, PatientInput("Q.R.", "MRN-1"), by=world.other_clinician)
    db.session.commit()
    other = client.post("/patients/new", data={"display_name": "K.L.", "mrn": "MRN-2"})
    assert other.status_code == 302
    new_id = int(other.location.split("/")[2])
    moved = client.post(f"/patients/{new_id}/edit", data={"display_name": "K.L.", "mrn": "MRN-1"})
    assert moved.status_code == 409
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    api = client.post(
        "/api/v1/patients",
        json={"display_name": "K.L.", "mrn": "MRN-1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 409 and api.get_json()["errors"]["mrn"]


def test_a_likely_duplicate_is_offered_and_a_resubmission_creates_nothing(client, signed_in):
    world = signed_in
    before = patients()
    same = {"display_name": "j.s.", "birth_year": "1960"}
    for _ in range(2):  # the form sent, then Back and sent again
        offered = client.post("/patients/new", data=same)
        assert offered.status_code == 409
        assert "This may be a patient already recorded" in offered.get_data(as_text=True)
        assert f"/patients/{world.patient.id}" in offered.get_data(as_text=True)
    assert patients() == before
    # A different birth year is a different person.
    assert client.post("/patients/new", data=same | {"birth_year": "1990"}).status_code == 302
    confirmed = client.post("/patients/new", data=same | {"confirm_new": "y"})
    assert confirmed.status_code == 302 and patients() == before + 2


def test_merging_two_records_keeps_every_block_and_is_audited(client, signed_in):
    world = signed_in
    duplicate = create_patient(world.clinic, PatientInput("J.S.", None, 1960), by=world.clinician)
    moved_block = make_block(world.clinic, duplicate, world.clinician)
    db.session.commit()
    page = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    assert "Another record of this patient?" in page
    merge = f"/patients/{world.patient.id}/merge/{duplicate.id}"
    assert merge in page
    assert (
        client.post(f"/patients/{world.patient.id}/merge/{world.other_patient.id}").status_code
        == 404
    )
    # Without the review, a merge only leads to it.
    unreviewed = client.post(merge)
    assert unreviewed.status_code == 302 and unreviewed.location.endswith(merge)
    assert db.session.get(Patient, duplicate.id) is not None
    review = client.get(merge).get_data(as_text=True)
    assert "1 block moves to this record" in review
    merged = client.post(merge, data={"confirm": str(moved_block.id)}, follow_redirects=True)
    assert "Records merged: 1 block moved to this record." in merged.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Patient, duplicate.id) is None
    assert db.session.get(Block, moved_block.id).patient_id == world.patient.id
    blocks = db.session.scalars(select(Block.id).where(Block.patient_id == world.patient.id))
    assert set(blocks) == {world.block.id, moved_block.id}
    merged = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.merge")
    ).one()
    assert merged.detail == {"merged_patient_id": duplicate.id, "block_ids": [moved_block.id]}
    series = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    assert series.count('class="series-block"') == 2  # one series: the same levels and side


def test_the_upgrade_refuses_duplicate_mrns_and_folds_existing_search_terms(tmp_path, capfd):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(revision="8d4e5f6a7b92")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO clinic (id, name, timezone, threshold_pct, min_baseline_pain, "
                    "min_entries_in_window, diary_link_hours, created_at) "
                    "VALUES (1, 'Old', 'UTC', 80, 4, 3, 48, '2026-01-01 00:00:00')"
                )
            )
            for n in (1, 2):
                connection.execute(
                    sa.text(
                        "INSERT INTO patient (id, clinic_id, display_name, mrn, created_at) "
                        "VALUES (:id, 1, 'José Núñez-Ávila', 'M-7', '2026-01-01 00:00:00')"
                    ),
                    {"id": n},
                )
        with pytest.raises(SystemExit):
            upgrade()
        said = capfd.readouterr().err
        assert "1 MRNs name more than one patient record" in said
        assert "flask merge-patients" in said
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE patient SET mrn = 'M-8' WHERE id = 2"))
        upgrade()
        with db.engine.begin() as connection:
            terms = (
                connection.execute(sa.text("SELECT term FROM patient_term WHERE patient_id = 1"))
                .scalars()
                .all()
            )
        assert {"jose", "nunez", "avila", "nunez-avila", "m-7"} <= set(terms)


def test_the_mrn_message_ends_with_one_full_stop(world):
    for name, message in (
        ("J.S.", "MRN MRN-1 is already the record of J.S."),
        ("Jane Smith", "MRN MRN-1 is already the record of Jane Smith."),
    ):
        world.patient.display_name = name
        with pytest.raises(InputRejected) as rejected:
            check_mrn_free(world.clinic.id, "mrn-1")
        assert rejected.value.message == message


@pytest.mark.parametrize("typed", ["mrn-1", " MRN-1 ", "Mrn-1\t"])
def test_an_mrn_in_another_case_or_with_spaces_names_the_same_patient(client, signed_in, typed):
    world = signed_in
    taken = client.post("/patients/new", data={"display_name": "K.L.", "mrn": typed})
    assert taken.status_code == 409
    assert "MRN MRN-1 is already the record of J.S." in taken.get_data(as_text=True)
    other = client.post("/patients/new", data={"display_name": "K.L.", "mrn": "MRN-2"})
    new_id = int(other.location.split("/")[2])
    edited = client.post(f"/patients/{new_id}/edit", data={"display_name": "K.L.", "mrn": typed})
    assert edited.status_code == 409
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    api = client.post(
        "/api/v1/patients",
        json={"display_name": "K.L.", "mrn": typed},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 409 and api.get_json()["errors"]["mrn"]
    assert patients() == 3
    # The record keeps the MRN as typed, without the spaces.
    kept = client.post(f"/patients/{new_id}/edit", data={"display_name": "K.L.", "mrn": " mrn-2 "})
    assert kept.status_code == 302
    assert db.session.get(Patient, new_id).mrn == "mrn-2"


def test_the_unique_index_compares_mrns_whatever_their_case(app, world):
    """Even a writer that skips the service (a script, a second worker racing) is refused."""
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(Patient(clinic_id=world.clinic.id, display_name="K.L.", mrn="mrn-1"))
    db.session.add(Patient(clinic_id=world.other_clinic.id, display_name="K.L.", mrn="mrn-1"))
    db.session.commit()  # another clinic's patient may have it


def _upgrade_refuses_mrns_differing_in_case(app, capfd):
    with app.app_context():
        upgrade(revision="c3d4e5f6a7b8")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO clinic (id, name, timezone, threshold_pct, min_baseline_pain, "
                    "min_entries_in_window, diary_link_hours, max_entries_per_diary, language, "
                    "require_two_factor, created_at) "
                    "VALUES (1, 'Old', 'UTC', 80, 4, 3, 48, 200, 'en', false, "
                    "'2026-01-01 00:00:00')"
                )
            )
            for n, mrn in ((1, "demo-001"), (2, "DEMO-001 "), (3, "M-8"), (4, " ")):
                connection.execute(
                    sa.text(
                        "INSERT INTO patient (id, clinic_id, display_name, mrn, created_at) "
                        "VALUES (:id, 1, 'A.B.', :mrn, '2026-01-01 00:00:00')"
                    ),
                    {"id": n, "mrn": mrn},
                )
        with pytest.raises(SystemExit):
            upgrade()
        said = capfd.readouterr().err
        assert "clinic 1: patient records 1, 2" in said and "flask merge-patients" in said
        assert "demo-001" not in said.lower()  # ids only: an MRN stays out of the logs
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE patient SET mrn = 'DEMO-002 ' WHERE id = 2"))
        upgrade()
        with db.engine.begin() as connection:
            mrns = connection.execute(sa.text("SELECT mrn FROM patient ORDER BY id")).scalars()
            assert list(mrns) == ["demo-001", "DEMO-002", "M-8", None]
            with pytest.raises(sa.exc.IntegrityError):
                connection.execute(
                    sa.text(
                        "INSERT INTO patient (id, clinic_id, display_name, mrn, created_at) "
                        "VALUES (5, 1, 'C.D.', 'm-8', '2026-01-01 00:00:00')"
                    )
                )


def test_the_upgrade_reports_mrns_that_differ_only_in_case(tmp_path, capfd):
    _upgrade_refuses_mrns_differing_in_case(
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"}),
        capfd,
    )


def test_the_upgrade_reports_mrns_that_differ_only_in_case_on_postgresql(postgres_url, capfd):
    with scratch_postgres(postgres_url, "block_diary_mrn_upgrade") as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        _upgrade_refuses_mrns_differing_in_case(app, capfd)
        with app.app_context():
            with db.engine.connect() as connection:  # PostgreSQL reflects the lower() index
                context = MigrationContext.configure(connection)
                assert compare_metadata(context, db.metadata) == []
            db.engine.dispose()


def test_a_merge_shows_each_series_before_and_after_and_is_done_as_reviewed(client, signed_in):
    """A concordant pair in this record; the other record holds a later lidocaine block
    whose diary shows no relief: merged, it becomes the pair's last block."""
    world = signed_in
    add_concordant_pair(world)
    duplicate = create_patient(world.clinic, PatientInput("J.S.", None, 1960), by=world.clinician)
    later = make_block(
        world.clinic,
        duplicate,
        world.clinician,
        performed_at=world.block.performed_at - timedelta(hours=1),
    )
    other_series = make_block(world.clinic, duplicate, world.clinician, side="left")
    add_entries(later, {0.25: 8, 0.5: 8, 1: 8, 2: 8})
    db.session.commit()
    merge = f"/patients/{world.patient.id}/merge/{duplicate.id}"
    review = client.get(merge)
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert "2 blocks move to this record" in page
    rows = re.findall(r"<tr( class=\"changes\")?>\s*<th scope=\"row\">([^<]+)</th>", page)
    assert [(bool(changed), title.strip()) for changed, title in rows] == [
        (True, "Lumbar L4-L5, L5-S1, right"),
        (True, "Lumbar L4-L5, L5-S1, left"),
    ]
    # This record now, then merged: the later block without relief breaks the pair.
    assert "2 blocks. Pair: Concordant; Medicare LCD met; 2020 consensus met." in page
    assert "<strong>Changes:</strong> 3 blocks. Pair: Not confirmed; Medicare LCD not met" in page
    # A block added to the other record after the review: the merge asks again.
    extra = make_block(world.clinic, duplicate, world.clinician, side="bilateral")
    db.session.commit()
    stale = client.post(merge, data={"confirm": f"{later.id},{other_series.id}"})
    assert stale.status_code == 302 and stale.location.endswith(merge)
    assert db.session.get(Patient, duplicate.id) is not None
    done = client.post(
        merge, data={"confirm": f"{later.id},{other_series.id},{extra.id}"}, follow_redirects=True
    )
    assert "Records merged: 3 blocks moved to this record." in done.get_data(as_text=True)


def test_the_merge_counts_are_worded_in_spanish_too(client, signed_in):
    world = signed_in
    duplicate = create_patient(world.clinic, PatientInput("J.S.", None, 1960), by=world.clinician)
    moved = make_block(world.clinic, duplicate, world.clinician)
    db.session.commit()
    merged = client.post(
        f"/patients/{world.patient.id}/merge/{duplicate.id}",
        data={"confirm": str(moved.id)},
        headers={"Accept-Language": "es"},
        follow_redirects=True,
    )
    assert "Registros unidos: 1 bloque trasladado a este registro." in merged.get_data(as_text=True)
