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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

from diary.pathway.values import DAYS_CLASS_LABELS, DaysOfRelief, each_side
from diary.records.export import printable
from diary.relief import Analysis, relief_pct, threshold_not_reached

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
    days: DaysOfRelief | None = None,
    outcome: str | None = None,
    side_days: Mapping[str, DaysOfRelief | None] | None = None,
    checkins: Sequence[tuple] = (),
) -> list[tuple[str, dict]]:
    """(fullUrl, resource) of the block's Patient, Procedures, Observations and report,
    and a therapeutic block's counted follow-up ``checkins`` (as ``ablation_resources``
    takes them) as Observations ``partOf`` its first Procedure.

    A bilateral block scored left and right apart (``sides``: each side's analysis) has
    an Observation per side per entry, and a peak and a response per side, each with its
    laterality on ``bodySite``; the report concludes each side's verdict.

    ``block`` is a Block model or anything with its attributes; ``records`` the base of
    this installation's identifier systems (its address); ``mrn_system`` the clinic's
    identifier system for MRNs (NoMrnSystem without one, for a patient with an MRN);
    ``provisional``: the diary still runs; ``days``: its days of relief (an Observation
    of their own, None without daily scores); ``outcome``: what the block is judged by
    when not its verdict (a therapeutic block's days of relief, in words), which then
    leads the report's conclusion (scored apart: each side's, marked provisional as the
    diary runs); ``side_days``: each side's days of relief of a block
    scored apart (an Observation per side, with its laterality). Strings carry no
    control character."""
    judged_in_days = str(block.purpose) == "therapeutic"

    def identifier(kind: str, value: object) -> dict:
        return {"system": f"{records}/{kind}", "value": str(value)}

    status = "preliminary" if provisional else "final"
    patient_record = block.patient
    patient_url = _urn("patient", patient_record.id)
    procedure_url = _urn("block", block.id)
    patient = patient_resource(patient_record, identifier, mrn_system)
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
        found = _peak_and_response(block, reading, side, key, identifier, derived, provisional)
        resources += found
        results += [{"reference": url} for url, _ in found]
    if sides:
        conclusion = each_side(
            ((side, reading.verdict) for side, reading in sides.items()), provisional
        )
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
    extra = []
    if days is not None:
        days_url = _urn("days-of-relief", block.id)
        extra.append((days_url, days_observation(block, days, derived, identifier)))
        results.append({"reference": days_url})
    for side, found_days in (side_days or {}).items():
        if found_days is None:
            continue
        days_url = _urn("days-of-relief", f"{block.id}/{side}")
        extra.append((days_url, days_observation(block, found_days, derived, identifier, side)))
        results.append({"reference": days_url})
        if outcome and judged_in_days:
            codes.append(
                {
                    "coding": [
                        {
                            "system": LOCAL,
                            "code": f"days-of-relief-{found_days.relief_class}",
                            "display": "Days of relief: "
                            + DAYS_CLASS_LABELS[found_days.relief_class],
                        }
                    ],
                    "text": side,
                }
            )
    if outcome and judged_in_days and any((side_days or {}).values()):
        # Each side's outcome says it is provisional (fhir_readings' outcome).
        conclusion = f"{outcome}; verdict {conclusion}"
    if outcome and outcome != analysis.verdict and days is not None:
        conclusion = f"{outcome}{' (provisional)' if provisional else ''}; verdict {conclusion}"
        codes.append(
            {
                "coding": [
                    {
                        "system": LOCAL,
                        "code": f"days-of-relief-{days.relief_class}",
                        "display": f"Days of relief: {DAYS_CLASS_LABELS[days.relief_class]}",
                    }
                ],
                "text": outcome,
            }
        )
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
    resources += extra
    resources.append((_urn("report", block.id), report))
    for checkin, dated_on, reliefs, amended in checkins:
        resources += checkin_observations(
            checkin, dated_on, reliefs, procedure_url, patient_url, identifier, amended
        )
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


def _peak_and_response(
    block, analysis: Analysis, side, key, identifier, derived: dict, provisional: bool = False
):
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
        "component": response_components(analysis, provisional),
    }
    return [(peak_url, peak), (response_url, response)]


def days_observation(
    block, days: DaysOfRelief, derived: dict, identifier, side: str | None = None
) -> dict:
    """The days of relief (pathway.md §2) as an Observation: the days in a row from day 1
    with >= 50 % relief, whether the count is still open, and its class (one side's, with
    its laterality on ``bodySite``, when scored apart)."""
    key = block.id if side is None else f"{block.id}/{side}"
    return {
        "resourceType": "Observation",
        "identifier": [identifier("days-of-relief", key)],
        **derived,
        "code": _local("days-of-relief", "Days in a row from day 1 with at least 50% relief"),
        "effectiveDateTime": _time(block.performed_at),
        **({"bodySite": _laterality(side)} if side else {}),
        "valueQuantity": {"value": days.days, "unit": "d", "system": UCUM, "code": "d"},
        "component": [
            {
                "code": _local("days-of-relief-open", "Relief still going on: a lower bound"),
                "valueBoolean": days.open,
            },
            {
                "code": _local("days-of-relief-class", "Class: no relief, short or weeks"),
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": LOCAL,
                            "code": days.relief_class,
                            "display": DAYS_CLASS_LABELS[days.relief_class],
                        }
                    ]
                },
            },
        ],
    }


def response_components(analysis: Analysis, provisional: bool = False) -> list[dict]:
    """The response's figures, each a component: threshold, onset, duration (absent when
    relief did not reach the threshold: "so far" while the diary runs, as the page says),
    whether the diary ended during it, and the duration against the agent's expected
    window."""
    responded = analysis.response_start_h is not None
    absent: dict = {"dataAbsentReason": {"text": threshold_not_reached(provisional)}}
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
    days: DaysOfRelief | None = None,
    outcome: str | None = None,
    side_days: Mapping[str, DaysOfRelief | None] | None = None,
    checkins: Sequence[tuple] = (),
) -> dict:
    """The Bundle for ``block`` (see ``diary_resources``). A ``transaction`` Bundle asks
    the server to create each resource unless one with its identifier exists."""
    resources = diary_resources(
        block,
        agent_label,
        analysis,
        now,
        records,
        mrn_system,
        provisional,
        sides,
        days,
        outcome,
        side_days,
        checkins,
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


# --- radiofrequency ablation and its follow-up check-ins (pathway.md §3) -------------------

# Radiofrequency destruction of the facet joint nerves: the first level's code, then one
# add-on code for each further level (a bilateral level is one, with modifier 50). Pulsed
# RF is no destruction: it carries no such code.
CPT_ABLATION = {
    "cervical": ("64633", "64634"),
    "thoracic": ("64633", "64634"),
    "lumbar": ("64635", "64636"),
}
_DESTRUCTION = "Destruction by neurolytic agent, paravertebral facet joint nerve(s), with imaging"
CPT_ABLATION_DISPLAY = {
    "64633": f"{_DESTRUCTION} guidance; cervical or thoracic, single facet joint",
    "64634": f"{_DESTRUCTION} guidance; cervical or thoracic, each additional facet joint",
    "64635": f"{_DESTRUCTION} guidance; lumbar or sacral, single facet joint",
    "64636": f"{_DESTRUCTION} guidance; lumbar or sacral, each additional facet joint",
}
CHECKIN_METHODS = {
    "patient": _local("follow-up-link", "Sent by the patient from the follow-up link"),
    "transcribed": _local("transcribed", "Recorded by clinic staff from a call or a visit"),
}


def patient_resource(patient_record, identifier, mrn_system: str | None) -> dict:
    """The Patient: the clinic's MRN (under its own system) and this installation's id."""
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
    patient: dict = {"resourceType": "Patient", "active": True, "identifier": identifiers}
    if patient_record.birth_year:
        patient["birthDate"] = str(patient_record.birth_year)
    return patient


def ablation_procedures(ablation, patient_url: str, identifier) -> list[tuple[str, dict]]:
    """One Procedure per level: the first level's CPT code, an add-on code for each
    further level (none for pulsed RF), the side as SNOMED CT laterality, modifier 50 when
    bilateral; the further levels are ``partOf`` the first."""
    first_code, addon_code = CPT_ABLATION[ablation.region]
    side, pulsed = ablation.side, ablation.technique == "pulsed"
    resources: list[tuple[str, dict]] = []
    for n, level in enumerate(ablation.levels):
        coding = []
        if not pulsed:
            code = first_code if n == 0 else addon_code
            coding.append({"system": CPT, "code": code, "display": CPT_ABLATION_DISPLAY[code]})
            if side == "bilateral":
                coding.append(BILATERAL_MODIFIER)
        key = ablation.id if n == 0 else f"{ablation.id}/{level}"
        url = _urn("ablation", key) if n == 0 else _urn("ablation-level", key)
        procedure = {
            "resourceType": "Procedure",
            "identifier": [identifier("ablations", key)],
            "status": "completed",
            "code": ({"coding": coding} if coding else {})
            | {
                "text": f"{ablation.technique} radiofrequency "
                + ("(pulsed, not an ablation)" if pulsed else "ablation")
                + f" of the medial branches, {ablation.region} {level}, {side}"
            },
            "subject": {"reference": patient_url},
            "performedDateTime": _time(ablation.performed_at),
            "bodySite": [
                {"text": f"{ablation.region} {level}"},
                {"coding": [LATERALITY[side]], "text": side},
            ],
        }
        if n > 0:
            procedure["partOf"] = [{"reference": resources[0][0]}]
        resources.append((url, procedure))
    return resources


def checkin_observations(
    checkin,
    dated_on,
    reliefs: dict,
    procedure_url: str,
    patient_url: str,
    identifier,
    amended: bool = False,
) -> list[tuple[str, dict]]:
    """A counted check-in as Observations ``partOf`` the procedure: the average pain
    (LOINC 72514-3), one per side when scored apart (with its laterality), with the relief
    from baseline, the patient's own relief, the PGIC and a new treatment as components
    under the local code system. ``reliefs``: side (None: one pain) -> CheckinRelief."""
    sides = [None] if checkin.pain is not None else ["left", "right"]
    resources = []
    for side in sides:
        pain = checkin.pain if side is None else getattr(checkin, f"pain_{side}")
        key = checkin.id if side is None else f"{checkin.id}/{side}"
        observation: dict = {
            "resourceType": "Observation",
            "identifier": [identifier("checkins", key)],
            # A later answer to the same check-in replaced an earlier one (left out).
            "status": "amended" if amended else "final",
            "category": [OBSERVATION_CATEGORY],
            "code": {"coding": [PAIN_CODE], "text": "Average pain over the past week"},
            "subject": {"reference": patient_url},
            "partOf": [{"reference": procedure_url}],
            "effectiveDateTime": dated_on.isoformat(),
            "issued": _time(checkin.submitted_at),
            "performer": [{"reference": patient_url}],
            "method": CHECKIN_METHODS[str(checkin.source)],
            "valueInteger": pain,
        }
        if side is not None:
            observation["bodySite"] = {"coding": [LATERALITY[side]], "text": side}
        components = []
        found = reliefs.get(side)
        if found is not None and found.relief_pct is not None:
            components.append(
                {
                    "code": _local("relief-pct", "Relief from baseline, percent (derived)"),
                    "valueQuantity": _percent(found.relief_pct),
                }
            )
        if checkin.reported_relief_pct is not None:
            components.append(
                {
                    "code": _local("reported-relief-pct", "Relief, percent, as the patient put it"),
                    "valueQuantity": _percent(checkin.reported_relief_pct),
                }
            )
        if checkin.pgic is not None:
            components.append(
                {
                    "code": _local("pgic", "Patient Global Impression of Change, 1-7"),
                    "valueInteger": checkin.pgic,
                }
            )
        if checkin.new_treatment is not None:
            components.append(
                {
                    "code": _local("new-treatment", "New procedure or regular pain medicine"),
                    "valueBoolean": checkin.new_treatment,
                }
            )
        if checkin.months is not None:
            components.append(
                {
                    "code": _local("checkin-months", "Scheduled check-in, months after"),
                    "valueInteger": checkin.months,
                }
            )
        if components:
            observation["component"] = components
        url = _urn("checkin", key)
        resources.append((url, observation))
    return resources


def ablation_resources(
    ablation,
    checkins: Sequence[tuple],
    records: str = "urn:block-diary",
    mrn_system: str | None = None,
) -> list[tuple[str, dict]]:
    """(fullUrl, resource) of an ablation's Patient, a Procedure per level, and each
    counted check-in's Observations; ``checkins``: (check-in, dated_on, reliefs by side,
    amended).
    Strings carry no control character."""

    def identifier(kind: str, value: object) -> dict:
        return {"system": f"{records}/{kind}", "value": str(value)}

    patient_url = _urn("patient", ablation.patient.id)
    resources = [(patient_url, patient_resource(ablation.patient, identifier, mrn_system))]
    procedures = ablation_procedures(ablation, patient_url, identifier)
    resources += procedures
    for checkin, dated_on, reliefs, amended in checkins:
        resources += checkin_observations(
            checkin, dated_on, reliefs, procedures[0][0], patient_url, identifier, amended
        )
    return [(url, _printable(resource)) for url, resource in resources]


def ablation_bundle(
    ablation,
    checkins: list[tuple],
    now: datetime,
    records: str = "urn:block-diary",
    mrn_system: str | None = None,
    transaction: bool = False,
) -> dict:
    """An ablation as a Bundle (see ``ablation_resources``)."""
    resources = ablation_resources(ablation, checkins, records, mrn_system)
    return {
        "resourceType": "Bundle",
        "type": "transaction" if transaction else "collection",
        "timestamp": _time(now),
        "entry": [bundle_entry(url, resource, transaction) for url, resource in resources],
    }
