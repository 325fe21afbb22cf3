"""A block's diary as a FHIR R4 Bundle (JSON). Flask-free.

Procedure (the block) ← Observation per entry (LOINC 72514-3, pain 0–10) and a
DiagnosticReport with the verdict, whose result is an Observation of peak relief.
No LOINC code for percent relief exists, so it travels under a local code system.
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
# First level of a facet joint / medial branch injection
# (docs/verdict-rules.md, "Records and codes").
CPT_FIRST_LEVEL = {"cervical": "64490", "thoracic": "64490", "lumbar": "64493"}
NAMESPACE = uuid.UUID("5d0c7a52-8f43-4c44-9a57-0c1f2d7d1e11")


def _urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def _time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _percent(value: float) -> dict:
    return {"value": value, "unit": "%", "system": UCUM, "code": "%"}


def diary_bundle(block, agent_label: str, analysis: Analysis, now: datetime) -> dict:
    """The Bundle for ``block`` (a Block model or anything with its attributes)."""
    patient_url = _urn("patient", block.patient.id)
    procedure_url = _urn("block", block.id)
    patient = {"resourceType": "Patient", "active": True}
    if block.patient.mrn:
        patient["identifier"] = [{"type": {"text": "MRN"}, "value": block.patient.mrn}]
    procedure = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {
            "coding": [{"system": CPT, "code": CPT_FIRST_LEVEL[block.region]}],
            "text": f"{block.purpose} medial branch block",
        },
        "subject": {"reference": patient_url},
        "performedDateTime": _time(block.performed_at),
        "bodySite": [{"text": f"{block.region} {' '.join(block.levels)} {block.side}"}],
        "note": [
            {
                "text": f"{agent_label}, {block.volume_ml_per_level:g} mL per level; "
                f"steroid {'yes' if block.steroid else 'no'}; "
                f"sedation {block.sedation}; baseline pain {block.baseline_pain}/10"
            }
        ],
    }
    resources = [(patient_url, patient), (procedure_url, procedure)]
    for entry in block.entries:
        observation = {
            "resourceType": "Observation",
            "status": "amended" if entry.updated_at is not None else "final",
            "category": [OBSERVATION_CATEGORY],
            "code": {"coding": [PAIN_CODE]},
            "subject": {"reference": patient_url},
            "partOf": [{"reference": procedure_url}],
            "effectiveDateTime": _time(entry.recorded_at),
            "issued": _time(entry.submitted_at),
            "valueInteger": entry.pain,
        }
        relief = relief_pct(block.baseline_pain, entry.pain)
        if relief is not None:
            observation["component"] = [
                {
                    "code": {
                        "coding": [
                            {
                                "system": LOCAL,
                                "code": "relief-pct",
                                "display": "Relief from baseline, percent (derived)",
                            }
                        ]
                    },
                    "valueQuantity": _percent(relief),
                }
            ]
        if entry.note:
            observation["note"] = [{"text": entry.note}]
        resources.append((_urn("entry", entry.id), observation))

    peak_url = _urn("peak", block.id)
    peak = {
        "resourceType": "Observation",
        "status": "final",
        "category": [OBSERVATION_CATEGORY],
        "code": {
            "coding": [
                {
                    "system": LOCAL,
                    "code": "peak-relief-pct",
                    "display": "Peak relief from baseline, percent",
                }
            ]
        },
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
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": LOCAL,
                    "code": "mbb-diary-verdict",
                    "display": "Medial branch block diary interpretation",
                }
            ]
        },
        "subject": {"reference": patient_url},
        "effectiveDateTime": _time(block.performed_at),
        "issued": _time(now),
        "result": [{"reference": peak_url}],
        "conclusion": f"{analysis.verdict}: " + "; ".join(analysis.reasons + analysis.warnings),
        "conclusionCode": [{"coding": [{"system": LOCAL, "code": analysis.verdict}]}],
    }
    resources += [(peak_url, peak), (_urn("report", block.id), report)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _time(now),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in resources],
    }
