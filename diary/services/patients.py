"""Patients and the terms the dashboard finds them by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from diary.extensions import db
from diary.models import (
    Clinic,
    Patient,
    PatientTerm,
    User,
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


def search_terms(display_name: str, mrn: str | None) -> list[str]:
    """What the dashboard finds a patient by: the name, each word of it, the MRN."""
    name = search_text(display_name)
    terms = {name, *re.split(r"[\s,]+", name), search_text(mrn or "")}
    return sorted(term[:100] for term in terms if term)


def search_text(text: str) -> str:
    """Text as patient terms are kept and searched: lowercase, single spaces."""
    return " ".join(text.lower().split())
