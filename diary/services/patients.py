"""Patients and the terms the dashboard finds them by."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import cast

from sqlalchemy import delete, func, select

from diary.extensions import db
from diary.models import (
    Ablation,
    Block,
    Clinic,
    Patient,
    PatientTerm,
    User,
)
from diary.pathway import SeriesKey
from diary.relief import SeriesAnalysis
from diary.services.analysis import analyse_series, patient_series
from diary.services.audit import record_audit
from diary.services.rejections import InputRejected


@dataclass
class PatientInput:
    display_name: str
    mrn: str | None = None
    birth_year: int | None = None


def create_patient(clinic: Clinic, values: PatientInput, by: User) -> Patient:
    """A new patient record; raises InputRejected when the MRN is another record's."""
    check_mrn_free(clinic.id, values.mrn)
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


def update_patient(patient: Patient, values: PatientInput, by: User | None) -> list[str]:
    """Correct a patient's record; returns the names of the fields that changed (the
    audit row names them, without their values: a patient's fields stay out of the log)."""
    mrn = (values.mrn or "").strip() or None
    new = {"display_name": values.display_name.strip(), "mrn": mrn, "birth_year": values.birth_year}
    changed = [name for name, value in new.items() if getattr(patient, name) != value]
    if not changed:
        return []
    check_mrn_free(patient.clinic_id, mrn, patient)
    for name in changed:
        setattr(patient, name, new[name])
    db.session.execute(delete(PatientTerm).where(PatientTerm.patient_id == patient.id))
    db.session.add_all(
        PatientTerm(clinic_id=patient.clinic_id, patient_id=patient.id, term=term)
        for term in search_terms(patient.display_name, patient.mrn)
    )
    record_audit("patient.update", by=by, target=patient, detail={"fields": changed})
    return changed


def mrn_holder(clinic_id: int, mrn: str | None, other_than: Patient | None = None):
    """The clinic's patient holding ``mrn``, if any (besides ``other_than``): MRNs are
    compared without surrounding spaces and whatever their case, as the unique index
    compares them (the database's lower(), on both sides)."""
    mrn = (mrn or "").strip()
    if not mrn:
        return None
    query = select(Patient).where(
        Patient.clinic_id == clinic_id, func.lower(Patient.mrn) == func.lower(mrn)
    )
    if other_than is not None:
        query = query.where(Patient.id != other_than.id)
    return db.session.scalars(query).first()


def check_mrn_free(clinic_id: int, mrn: str | None, other_than: Patient | None = None) -> None:
    """An MRN names one patient of a clinic: a second record would split their blocks."""
    holder = mrn_holder(clinic_id, mrn, other_than)
    if holder is not None:
        # Initials end in a full stop of their own ("A.B."): no second one after them.
        name = holder.display_name
        stop = "" if name.endswith(".") else "."
        raise InputRejected("mrn", f"MRN {holder.mrn} is already the record of {name}{stop}")


def likely_duplicates(
    clinic_id: int, display_name: str, birth_year: int | None, other_than: Patient | None = None
) -> list[Patient]:
    """The clinic's patients who may be this one: the same name, accents and case aside,
    and the same birth year where both are known."""
    name = search_text(display_name)
    found = db.session.scalars(
        select(Patient)
        .join(PatientTerm, PatientTerm.patient_id == Patient.id)
        .where(PatientTerm.clinic_id == clinic_id, PatientTerm.term == name[:100])
        .distinct()
    ).all()
    return [
        patient
        for patient in found
        if search_text(patient.display_name) == name
        and (birth_year is None or patient.birth_year in (None, birth_year))
        and (other_than is None or patient.id != other_than.id)
    ]


def merge_patients(keep: Patient, duplicate: Patient, by: User | None) -> list[int]:
    """Move every block of ``duplicate`` (a second record of the same person) to
    ``keep`` and remove the duplicate record; ``keep`` takes the MRN or birth year it
    lacks. Returns the ids of the blocks moved. The caller commits."""
    if keep.id == duplicate.id or keep.clinic_id != duplicate.clinic_id:
        raise InputRejected("patient", "Choose another record of this clinic's patient.")
    moved = [block.id for block in duplicate.blocks]
    for block in list(duplicate.blocks):
        block.patient = keep
    ablations = db.session.scalars(
        select(Ablation).where(Ablation.patient_id == duplicate.id)
    ).all()
    for ablation in ablations:  # an ablation goes with the person, as a block does
        ablation.patient_id = keep.id
    mrn = keep.mrn or duplicate.mrn
    birth_year = keep.birth_year or duplicate.birth_year
    db.session.execute(delete(PatientTerm).where(PatientTerm.patient_id == duplicate.id))
    record_audit(
        "patient.merge",
        by=by,
        target=keep,
        detail={"merged_patient_id": duplicate.id, "block_ids": moved}
        | ({"ablation_ids": [a.id for a in ablations]} if ablations else {}),
    )
    db.session.delete(duplicate)
    db.session.flush()  # the duplicate's MRN is free before ``keep`` takes it
    update_patient(keep, PatientInput(keep.display_name, mrn, birth_year), by=by)
    return moved


@dataclass(frozen=True)
class SeriesStanding:
    """One series of a record as the patient page reads it: its blocks and analysis."""

    blocks: list[Block]
    analysis: SeriesAnalysis

    @property
    def status(self) -> tuple:
        """What the series says: the pair and the two ablation criteria."""
        criteria = self.analysis.ablation_criteria
        return (self.analysis.pair_status, *(criteria[name].met for name in sorted(criteria)))


@dataclass(frozen=True)
class SeriesChange:
    """A series (region, side, levels) before and after a merge: in this record, in the
    other, and in the merged record."""

    first_block: Block
    this_record: SeriesStanding | None
    other_record: SeriesStanding | None
    merged: SeriesStanding

    @property
    def changes(self) -> bool:
        return self.this_record is None or self.this_record.status != self.merged.status


@dataclass
class _Blocks:
    """A record's blocks, for the series grouping (which reads ``.blocks``)."""

    blocks: list[Block]


def merge_changes(keep: Patient, duplicate: Patient) -> list[SeriesChange]:
    """Each series as it stands in ``keep`` and in ``duplicate`` and as it would stand
    once ``duplicate``'s blocks are moved into ``keep``: what a merge changes, read by the
    rules the patient page reads series by. Changes nothing."""

    def standings(blocks: list[Block]) -> dict[SeriesKey, SeriesStanding]:
        grouped = patient_series(cast(Patient, _Blocks(blocks)))
        return {s.key: SeriesStanding(s, analyse_series(s)) for s in grouped}

    merged_blocks = sorted([*keep.blocks, *duplicate.blocks], key=lambda b: b.performed_at)
    this, other = standings(list(keep.blocks)), standings(list(duplicate.blocks))
    return [
        SeriesChange(standing.blocks[0], this.get(key), other.get(key), standing)
        for key, standing in standings(merged_blocks).items()
    ]


def search_terms(display_name: str, mrn: str | None) -> list[str]:
    """What the dashboard finds a patient by: the name from each of its words on ("de la
    cruz"), each word's hyphenated parts, the name without its punctuation ("ab" for
    "A.B."), the MRN."""
    name = search_text(display_name)
    words = name.split(" ")
    terms = {
        *(" ".join(words[start:]) for start in range(len(words))),  # from any word on
        *re.split(r"[\W_]+", name),
        re.sub(r"[\W_]+", "", name),
        search_text(mrn or ""),
    }
    return sorted(term[:100] for term in terms if term)


def search_text(text: str) -> str:
    """Text as patient terms are kept and searched: accents folded ("fernández" finds
    "Fernandez" and back), case folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.split())
