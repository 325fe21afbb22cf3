"""Patients and the terms the dashboard finds them by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete

from diary.extensions import db
from diary.models import (
    Clinic,
    Patient,
    PatientTerm,
    User,
    utcnow,
)
from diary.services.audit import record_audit


@dataclass
class PatientInput:
    display_name: str
    mrn: str | None = None
    birth_year: int | None = None


def create_patient(clinic: Clinic, values: PatientInput, by: User) -> Patient:
    patient = Patient(
        clinic_id=clinic.id,
        display_name=values.display_name.strip(),
        mrn=(values.mrn or "").strip() or None,
        birth_year=values.birth_year,
    )
    db.session.add(patient)
    db.session.flush()
    db.session.add_all(
        PatientTerm(clinic_id=clinic.id, patient_id=patient.id, term=term)
        for term in search_terms(patient.display_name, patient.mrn)
    )
    record_audit("patient.create", by=by, target=patient)
    return patient


def update_patient(patient: Patient, values: PatientInput, by: User) -> list[str]:
    """Correct a patient's record; returns the names of the fields that changed (the
    audit row names them, without their values: a patient's fields stay out of the log)."""
    new = {
        "display_name": values.display_name.strip(),
        "mrn": (values.mrn or "").strip() or None,
        "birth_year": values.birth_year,
    }
    changed = [name for name, value in new.items() if getattr(patient, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(patient, name, new[name])
    db.session.execute(delete(PatientTerm).where(PatientTerm.patient_id == patient.id))
    db.session.add_all(
        PatientTerm(clinic_id=patient.clinic_id, patient_id=patient.id, term=term)
        for term in search_terms(patient.display_name, patient.mrn)
    )
    for block in patient.blocks:
        block.changed_at = utcnow()  # stored summaries and exports carry the patient
    record_audit("patient.update", by=by, target=patient, detail={"fields": changed})
    return changed


def search_terms(display_name: str, mrn: str | None) -> list[str]:
    """What the dashboard finds a patient by: the name, each word of it, the MRN."""
    name = search_text(display_name)
    terms = {name, *re.split(r"[\s,]+", name), search_text(mrn or "")}
    return sorted(term[:100] for term in terms if term)


def search_text(text: str) -> str:
    """Text as patient terms are kept and searched: lowercase, single spaces."""
    return " ".join(text.lower().split())
