"""A block's diary as a FHIR R4 Bundle (JSON). Flask-free.

Procedure (the block: one per level, CPT first / second / third-and-further level, with a
SNOMED CT code and the side) ← Observation per entry (LOINC 72514-3, pain 0–10; the
patient's own relief, the activity and a transcription recorded on it) and a
DiagnosticReport with the verdict, whose result is an Observation of peak relief. No
LOINC code for percent relief exists, so it travels under a local code system.

Every resource carries an identifier (``records`` is this installation's address): a
``transaction`` Bundle creates each one only if none with that identifier exists, so a
server that loads the same diary twice keeps one copy.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from diary.relief import Analysis, relief_pct

LOINC = "http://loinc.org"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
LOCAL = "urn:block-diary:codes"
PAIN_CODE = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
OBSERVATION_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
SNOMED = "http://snomed.info/sct"
# The procedure as SNOMED CT names it (a local anesthetic nerve block); the levels and
# the side are in the CPT codes and bodySite.
SNOMED_NERVE_BLOCK = {
    "system": SNOMED,
    "code": "265778005",
    "display": "Local anesthetic nerve block (procedure)",
}
LATERALITY = {
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
    "bilateral": {"system": SNOMED, "code": "51440002", "display": "Right and left"},
}
# Facet joint / medial branch injection, first, second, third and further levels
# (docs/verdict-rules.md, "Records and codes"); a bilateral level counts once.
CPT_BY_LEVEL = {
    "cervical": ("64490", "64491", "64492"),
    "thoracic": ("64490", "64491", "64492"),
    "lumbar": ("64493", "64494", "64495"),
}
NAMESPACE = uuid.UUID("5d0c7a52-8f43-4c44-9a57-0c1f2d7d1e11")


def _urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def _time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _percent(value: float) -> dict:
    return {"value": value, "unit": "%", "system": UCUM, "code": "%"}


def _local(code: str, display: str) -> dict:
    return {"coding": [{"system": LOCAL, "code": code, "display": display}]}


def level_procedures(block, patient_url: str, note: str, identifier) -> list[tuple[str, dict]]:
    """One Procedure per level, in spine order: the first level's CPT code, then the
    add-on codes; the others are ``partOf`` the first, which the diary belongs to."""
    codes = CPT_BY_LEVEL[block.region]
    side = block.side
    resources: list[tuple[str, dict]] = []
    for n, level in enumerate(block.levels):
        cpt = codes[min(n, 2)]
        url = _urn("block", block.id) if n == 0 else _urn("block-level", f"{block.id}/{level}")
        procedure = {
            "resourceType": "Procedure",
            "identifier": [identifier("blocks", block.id if n == 0 else f"{block.id}/{level}")],
            "status": "completed",
            "code": {
                "coding": [SNOMED_NERVE_BLOCK, {"system": CPT, "code": cpt}],
                "text": f"{block.purpose} medial branch block, {block.region} {level}, {side}"
                + (" (bilateral: CPT modifier 50)" if side == "bilateral" else ""),
            },
            "subject": {"reference": patient_url},
            "performedDateTime": _time(block.performed_at),
            "bodySite": [
                {"text": f"{block.region} {level}"},
                {"coding": [LATERALITY[side]], "text": side},
            ],
            "note": [{"text": note}],
        }
        if n > 0:
            procedure["partOf"] = [{"reference": resources[0][0]}]
        resources.append((url, procedure))
    return resources


def diary_bundle(
    block,
    agent_label: str,
    analysis: Analysis,
    now: datetime,
    records: str = "urn:block-diary",
    mrn_system: str | None = None,
    transaction: bool = False,
) -> dict:
    """The Bundle for ``block`` (a Block model or anything with its attributes).

    ``records`` is the base of this installation's identifier systems (its address);
    ``mrn_system`` the clinic's identifier system for MRNs. A ``transaction`` Bundle
    asks the server to create each resource unless one with its identifier exists."""

    def identifier(kind: str, value: object) -> dict:
        return {"system": f"{records}/{kind}", "value": str(value)}

    patient_record = block.patient
    patient_url = _urn("patient", patient_record.id)
    procedure_url = _urn("block", block.id)
    patient: dict = {"resourceType": "Patient", "active": True}
    identifiers = []
    if patient_record.mrn:
        identifiers.append(
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ]
                },
                "system": mrn_system or f"{records}/mrn",
                "value": patient_record.mrn,
            }
        )
    identifiers.append(identifier("patients", patient_record.id))
    patient["identifier"] = identifiers
    if patient_record.birth_year:
        patient["birthDate"] = str(patient_record.birth_year)  # a year alone is a FHIR date
    note = (
        f"{agent_label}, {block.volume_ml_per_level:g} mL per level; "
        f"steroid {'yes' if block.steroid else 'no'}; "
        f"sedation {block.sedation}; baseline pain {block.baseline_pain}/10"
    )
    resources = [(patient_url, patient)]
    resources += level_procedures(block, patient_url, note, identifier)
    for entry in block.entries:
        transcribed = entry.source == "transcribed"
        observation = {
            "resourceType": "Observation",
            "identifier": [identifier("entries", entry.id)],
            "status": "amended" if entry.updated_at is not None else "final",
            "category": [OBSERVATION_CATEGORY],
            "code": {"coding": [PAIN_CODE]},
            "subject": {"reference": patient_url},
            "partOf": [{"reference": procedure_url}],
            "effectiveDateTime": _time(entry.recorded_at),
            "issued": _time(entry.submitted_at),
            "performer": [{"reference": patient_url}],  # the patient's own report
            "valueInteger": entry.pain,
        }
        if transcribed:
            observation["method"] = _local(
                "transcribed", "Transcribed by clinic staff from the patient's paper diary"
            )
        components = []
        relief = relief_pct(block.baseline_pain, entry.pain)
        if relief is not None:
            components.append(
                {
                    "code": _local("relief-pct", "Relief from baseline, percent (derived)"),
                    "valueQuantity": _percent(relief),
                }
            )
        if entry.reported_relief_pct is not None:
            components.append(
                {
                    "code": _local("reported-relief-pct", "Relief, percent, as the patient put it"),
                    "valueQuantity": _percent(entry.reported_relief_pct),
                }
            )
        if entry.activity:
            components.append(
                {
                    "code": _local("activity", "Activity during the score"),
                    "valueString": entry.activity,
                }
            )
        if components:
            observation["component"] = components
        if entry.note:
            observation["note"] = [{"text": entry.note}]
        resources.append((_urn("entry", entry.id), observation))

    peak_url = _urn("peak", block.id)
    peak = {
        "resourceType": "Observation",
        "identifier": [identifier("peak-relief", block.id)],
        "status": "final",
        "category": [OBSERVATION_CATEGORY],
        "code": _local("peak-relief-pct", "Peak relief from baseline, percent"),
        "subject": {"reference": patient_url},
        "partOf": [{"reference": procedure_url}],
        "effectiveDateTime": _time(block.performed_at),
    }
    if analysis.peak_relief_pct is None:
        peak["dataAbsentReason"] = {"text": "no relief could be measured"}
    else:
        peak["valueQuantity"] = _percent(analysis.peak_relief_pct)
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [identifier("reports", block.id)],
        "status": "final",
        "code": _local("mbb-diary-verdict", "Medial branch block diary interpretation"),
        "subject": {"reference": patient_url},
        "effectiveDateTime": _time(block.performed_at),
        "issued": _time(now),
        "result": [{"reference": peak_url}],
        "conclusion": f"{analysis.verdict}: " + "; ".join(analysis.reasons + analysis.warnings),
        "conclusionCode": [{"coding": [{"system": LOCAL, "code": analysis.verdict}]}],
    }
    resources += [(peak_url, peak), (_urn("report", block.id), report)]
    entries: list[dict] = []
    for url, resource in resources:
        bundle_entry: dict = {"fullUrl": url, "resource": resource}
        if transaction:
            key = resource["identifier"][0]  # a patient's MRN where there is one
            bundle_entry["request"] = {
                "method": "POST",
                "url": resource["resourceType"],
                "ifNoneExist": f"identifier={key['system']}|{key['value']}",
            }
        entries.append(bundle_entry)
    return {
        "resourceType": "Bundle",
        "type": "transaction" if transaction else "collection",
        "timestamp": _time(now),
        "entry": entries,
    }
