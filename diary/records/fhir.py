"""A block's diary as a FHIR R4 Bundle (JSON). Flask-free.

Procedure (the block: one per level, CPT first / second / third-and-further level, the
last reported once per session, with a SNOMED CT code, the side, and CPT modifier 50 when
bilateral) ← Observation per entry (LOINC 72514-3, pain 0–10; the patient's own relief,
the activity and a transcription recorded on it), an Observation of peak relief dated at
the peak, one of the response (onset, duration and how it compares with the agent, as
components), and a DiagnosticReport with the verdict. No LOINC code for percent relief
exists, so it travels under a local code system. While the diary runs, the report and its
Observations are ``preliminary``: entries to come may change them.

Every resource carries an identifier (``records`` is this installation's address; MRNs
the clinic's own system): a ``transaction`` Bundle creates each one only if none with that
identifier exists, so a server that loads the same diary twice keeps one copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from urllib.parse import quote

from diary.records.export import printable
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
# (docs/verdict-rules.md, "Records and codes"); a bilateral level counts once, and the
# third-and-further code is reported once per session however many levels follow.
CPT_BY_LEVEL = {
    "cervical": ("64490", "64491", "64492"),
    "thoracic": ("64490", "64491", "64492"),
    "lumbar": ("64493", "64494", "64495"),
}
BILATERAL_MODIFIER = {"system": CPT, "code": "50", "display": "Bilateral procedure"}
NAMESPACE = uuid.UUID("5d0c7a52-8f43-4c44-9a57-0c1f2d7d1e11")


class NoMrnSystem(ValueError):
    """A patient's MRN needs the clinic's own identifier system (Settings → Records)."""


def _urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{key}')}"


def _time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _percent(value: float) -> dict:
    return {"value": value, "unit": "%", "system": UCUM, "code": "%"}


def _hours(value: float) -> dict:
    return {"value": value, "unit": "h", "system": UCUM, "code": "h"}


def search_token(system: str, value: str) -> str:
    """``system|value`` as a FHIR search token, each part escaped (\\ , $ |), for a
    query string: an MRN such as ``12,34|5`` or ``Z9&_id=1`` matches itself only."""

    def escaped(text: str) -> str:
        for character in ("\\", ",", "$", "|"):
            text = text.replace(character, "\\" + character)
        return text

    return quote(f"{escaped(system)}|{escaped(value)}", safe="")


def _printable(value):
    """``value`` (a resource) with every string's control characters replaced: a FHIR
    string may hold none but tab, carriage return and line feed."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value


def _local(code: str, display: str) -> dict:
    return {"coding": [{"system": LOCAL, "code": code, "display": display}]}


def level_procedures(block, patient_url: str, note: str, identifier) -> list[tuple[str, dict]]:
    """One Procedure per level, in spine order: the first level's CPT code, then the
    add-on codes; the others are ``partOf`` the first, which the diary belongs to."""
    codes = CPT_BY_LEVEL[block.region]
    side = block.side
    resources: list[tuple[str, dict]] = []
    for n, level in enumerate(block.levels):
        coding = [SNOMED_NERVE_BLOCK]
        if n < len(codes):  # levels after the third are in the third's code
            coding.append({"system": CPT, "code": codes[n]})
            if side == "bilateral":
                coding.append(BILATERAL_MODIFIER)
        url = _urn("block", block.id) if n == 0 else _urn("block-level", f"{block.id}/{level}")
        procedure = {
            "resourceType": "Procedure",
            "identifier": [identifier("blocks", block.id if n == 0 else f"{block.id}/{level}")],
            "status": "completed",
            "code": {
                "coding": coding,
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


def diary_resources(
    block,
    agent_label: str,
    analysis: Analysis,
    now: datetime,
    records: str = "urn:block-diary",
    mrn_system: str | None = None,
    provisional: bool = False,
    sides: dict[str, Analysis] | None = None,
) -> list[tuple[str, dict]]:
    """(fullUrl, resource) of the block's Patient, Procedures, Observations and report.

    A bilateral block scored left and right apart (``sides``: each side's analysis) has
    an Observation per side per entry, and a peak and a response per side, each with its
    laterality on ``bodySite``; the report concludes each side's verdict.

    ``block`` is a Block model or anything with its attributes; ``records`` the base of
    this installation's identifier systems (its address); ``mrn_system`` the clinic's
    identifier system for MRNs (NoMrnSystem without one, for a patient with an MRN);
    ``provisional``: the diary still runs. Strings carry no control character."""

    def identifier(kind: str, value: object) -> dict:
        return {"system": f"{records}/{kind}", "value": str(value)}

    status = "preliminary" if provisional else "final"
    patient_record = block.patient
    patient_url = _urn("patient", patient_record.id)
    procedure_url = _urn("block", block.id)
    patient: dict = {"resourceType": "Patient", "active": True}
    identifiers = []
    if patient_record.mrn:
        if not mrn_system:
            raise NoMrnSystem("the clinic has not set the identifier system of its MRNs")
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
                "system": mrn_system,
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
        f"sedation {block.sedation}; "
        + (
            f"baseline pain left {block.baseline_pain_left}/10, right "
            f"{block.baseline_pain_right}/10 (scored apart)"
            if sides
            else f"baseline pain {block.baseline_pain}/10"
        )
    )
    resources = [(patient_url, patient)]
    resources += level_procedures(block, patient_url, note, identifier)
    for entry in block.entries:
        for side, pain, baseline in _scores(block, entry):
            key = entry.id if side is None else f"{entry.id}/{side}"
            observation = _entry_observation(
                entry, side, pain, baseline, key, identifier, status, provisional
            )
            observation |= {
                "subject": {"reference": patient_url},
                "partOf": [{"reference": procedure_url}],
                "performer": [{"reference": patient_url}],  # the patient's own report
            }
            resources.append((_urn("entry", key), _ordered(observation)))

    derived = {
        "status": status,
        "category": [OBSERVATION_CATEGORY],
        "subject": {"reference": patient_url},
        "partOf": [{"reference": procedure_url}],
    }
    readings = list(sides.items()) if sides else [(None, analysis)]
    results = []
    for side, reading in readings:
        key = block.id if side is None else f"{block.id}/{side}"
        found = _peak_and_response(block, reading, side, key, identifier, derived)
        resources += found
        results += [{"reference": url} for url, _ in found]
    if sides:
        conclusion = " · ".join(
            f"{side.capitalize()}: {reading.verdict}" for side, reading in sides.items()
        ) + (" (provisional)" if provisional else "")
        conclusion += "; " + "; ".join(
            f"{side}: {text}"
            for side, reading in sides.items()
            for text in reading.reasons + reading.warnings
        )
        codes = [
            {"coding": [{"system": LOCAL, "code": reading.verdict}], "text": side}
            for side, reading in sides.items()
        ]
    else:
        conclusion = f"{analysis.verdict}{' (provisional)' if provisional else ''}: " + "; ".join(
            analysis.reasons + analysis.warnings
        )
        codes = [{"coding": [{"system": LOCAL, "code": analysis.verdict}]}]
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [identifier("reports", block.id)],
        "status": status,
        "code": _local("mbb-diary-verdict", "Medial branch block diary interpretation"),
        "subject": {"reference": patient_url},
        "effectiveDateTime": _time(block.performed_at),
        "issued": _time(now),
        "result": results,
        "conclusion": conclusion,
        "conclusionCode": codes,
    }
    resources.append((_urn("report", block.id), report))
    return [(url, _printable(resource)) for url, resource in resources]


def _scores(block, entry) -> list[tuple[str | None, int, int | None]]:
    """(side, score, baseline) of an entry: its one score, or each side's."""
    if entry.pain is not None:
        return [(None, entry.pain, block.baseline_pain)]
    return [
        ("left", entry.pain_left, block.baseline_pain_left),
        ("right", entry.pain_right, block.baseline_pain_right),
    ]


def _laterality(side: str) -> dict:
    return {"coding": [LATERALITY[side]], "text": f"{side} side"}


# The order of an entry's Observation's fields, as before sides were scored apart.
OBSERVATION_ORDER = (
    "resourceType", "identifier", "status", "category", "code", "subject", "partOf",
    "effectiveDateTime", "issued", "performer", "bodySite", "valueInteger", "method",
    "component", "note",
)  # fmt: skip


def _ordered(resource: dict) -> dict:
    return {name: resource[name] for name in OBSERVATION_ORDER if name in resource}


def _entry_observation(
    entry, side, pain: int, baseline, key, identifier, status: str, provisional: bool
) -> dict:
    """An entry's score (one side's, with its laterality, when scored apart)."""
    stored = "amended" if entry.updated_at is not None else "final"
    entry_status = status if provisional else stored
    observation: dict = {
        "resourceType": "Observation",
        "identifier": [identifier("entries", key)],
        "status": entry_status,
        "category": [OBSERVATION_CATEGORY],
        "code": {"coding": [PAIN_CODE]},
        "effectiveDateTime": _time(entry.recorded_at),
        "issued": _time(entry.submitted_at),
        "valueInteger": pain,
    }
    if side is not None:
        observation["bodySite"] = _laterality(side)
    if entry.source == "transcribed":
        observation["method"] = _local(
            "transcribed", "Transcribed by clinic staff from the patient's paper diary"
        )
    components = []
    relief = relief_pct(baseline, pain)
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
            {"code": _local("activity", "Activity during the score"), "valueString": entry.activity}
        )
    if components:
        observation["component"] = components
    if entry.note:
        observation["note"] = [{"text": entry.note}]
    return observation


def _peak_and_response(block, analysis: Analysis, side, key, identifier, derived: dict):
    """The peak relief and the response Observations of a reading (one side's, with its
    laterality, when scored apart)."""
    where = {"bodySite": _laterality(side)} if side else {}
    peak_url = _urn("peak", key)
    peak = {
        "resourceType": "Observation",
        "identifier": [identifier("peak-relief", key)],
        **derived,
        "code": _local("peak-relief-pct", "Peak relief from baseline, percent"),
        "effectiveDateTime": _time(block.performed_at),
        **where,
    }
    if analysis.peak_relief_pct is None or analysis.peak_at_h is None:
        peak["dataAbsentReason"] = {"text": "no relief could be measured"}
    else:
        peak["valueQuantity"] = _percent(analysis.peak_relief_pct)
        peak["effectiveDateTime"] = _time(block.performed_at + timedelta(hours=analysis.peak_at_h))
    response_url = _urn("response", key)
    response = {
        "resourceType": "Observation",
        "identifier": [identifier("response", key)],
        **derived,
        "code": _local("mbb-response", "Response to the block at the verdict's threshold"),
        "effectiveDateTime": _time(block.performed_at),
        **where,
        "component": response_components(analysis),
    }
    return [(peak_url, peak), (response_url, response)]


def response_components(analysis: Analysis) -> list[dict]:
    """The response's figures, each a component: threshold, onset, duration (absent when
    relief never reached the threshold), whether the diary ended during it, and the
    duration against the agent's expected window."""
    responded = analysis.response_start_h is not None
    absent: dict = {"dataAbsentReason": {"text": "relief never reached the threshold"}}
    components = [
        {
            "code": _local("threshold-pct", "Relief threshold of the verdict, percent"),
            "valueQuantity": _percent(analysis.threshold_pct),
        },
        {
            "code": _local("onset-h", "Onset: hours to the first entry at the threshold"),
            **(
                {"valueQuantity": _hours(analysis.onset_h)}
                if analysis.onset_h is not None
                else absent
            ),
        },
        {
            "code": _local("response-duration-h", "Hours relief lasted at the threshold"),
            **({"valueQuantity": _hours(analysis.response_duration_h)} if responded else absent),
        },
        {
            "code": _local(
                "response-open", "The diary ended during relief (duration a lower bound)"
            ),
            **({"valueBoolean": bool(analysis.response_open)} if responded else absent),
        },
        {
            "code": _local("duration-class", "Duration against the agent's expected window"),
            **(
                {"valueCodeableConcept": _local(analysis.duration_class, analysis.duration_class)}
                if analysis.duration_class
                else absent
            ),
        },
    ]
    return components


def bundle_entry(url: str, resource: dict, transaction: bool) -> dict:
    """A Bundle entry; in a transaction, a conditional create keyed on the resource's
    first identifier (a patient's MRN where there is one)."""
    entry: dict = {"fullUrl": url, "resource": resource}
    if transaction:
        key = resource["identifier"][0]
        entry["request"] = {
            "method": "POST",
            "url": resource["resourceType"],
            "ifNoneExist": "identifier=" + search_token(key["system"], key["value"]),
        }
    return entry


def diary_bundle(
    block,
    agent_label: str,
    analysis: Analysis,
    now: datetime,
    records: str = "urn:block-diary",
    mrn_system: str | None = None,
    transaction: bool = False,
    provisional: bool = False,
    sides: dict[str, Analysis] | None = None,
) -> dict:
    """The Bundle for ``block`` (see ``diary_resources``). A ``transaction`` Bundle asks
    the server to create each resource unless one with its identifier exists."""
    resources = diary_resources(
        block, agent_label, analysis, now, records, mrn_system, provisional, sides
    )
    return {
        "resourceType": "Bundle",
        "type": "transaction" if transaction else "collection",
        "timestamp": _time(now),
        "entry": [bundle_entry(url, resource, transaction) for url, resource in resources],
    }


def bundle_stream(
    diaries: Iterable[list[tuple[str, dict]]], now: datetime, transaction: bool
) -> Iterator[str]:
    """One Bundle of many diaries' resources (``diary_resources`` each), as JSON text in
    pieces: a patient with several blocks appears once."""
    kind = "transaction" if transaction else "collection"
    yield f'{{"resourceType":"Bundle","type":"{kind}","timestamp":"{_time(now)}","entry":['
    seen: set[str] = set()  # the patients already in
    first = True
    for resources in diaries:
        pieces = []
        for url, resource in resources:
            if resource["resourceType"] == "Patient":
                if url in seen:
                    continue
                seen.add(url)
            text = json.dumps(bundle_entry(url, resource, transaction), separators=(",", ":"))
            pieces.append(text if first else "," + text)
            first = False
        yield "".join(pieces)
    yield "]}"
