"""The per-block CSV: exact header, round trip, neutralised formulas, same numbers as the page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from diary import export
from diary.extensions import db
from diary.models import AuditEvent
from tests.conftest import add_entries

# The header documented in README ("CSV columns"); changing it is a breaking change.
DOCUMENTED_HEADER = (
    "block_id,patient,mrn,performed_at,region,levels,side,purpose,sequence,agent,"
    "concentration_pct,agent_label,volume_ml_per_level,steroid,sedation,baseline_pain,verdict,"
    "threshold_pct,peak_relief_pct,response_duration_h,entry_id,recorded_at,submitted_at,"
    "hours_since_block,pain,relief_pct,reported_relief_pct,activity,note,edited"
)


def read_csv(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_header_is_the_documented_one():
    assert ",".join(export.ENTRY_COLUMNS) == DOCUMENTED_HEADER


def test_readme_documents_every_column():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for column in export.ENTRY_COLUMNS:
        assert f"`{column}`" in readme, column


def test_block_csv_round_trips(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    db.session.commit()
    response = client.get(f"/blocks/{block.id}/entries.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    first_line = response.get_data().decode("utf-8-sig").split("\r\n")[0]
    assert first_line == DOCUMENTED_HEADER
    rows = read_csv(response)
    assert len(rows) == 5
    first = rows[0]
    assert first["block_id"] == str(block.id) and first["patient"] == "J.S."
    assert first["performed_at"] == block.performed_at.isoformat(timespec="seconds")
    assert first["performed_at"].endswith("+00:00")
    assert first["levels"] == "L4-L5 L5-S1"
    assert (first["hours_since_block"], first["pain"], first["relief_pct"]) == ("0.25", "1", "87.5")
    assert first["reported_relief_pct"] == "" and first["note"] == ""
    assert first["edited"] == "false"
    # the verdict and figures are the ones the block page shows
    assert {r["verdict"] for r in rows} == {"positive"}
    assert first["peak_relief_pct"] == "100" and first["response_duration_h"] == "1.75"
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "1.75 h" in page and "peak relief 100%" in page


def test_export_is_audited_with_row_count(client, signed_in):
    add_entries(signed_in.block, {0.5: 2, 1: 3})
    db.session.commit()
    client.get(f"/blocks/{signed_in.block.id}/entries.csv").get_data()
    event = db.session.execute(select(AuditEvent).filter_by(action="export.block_csv")).scalar_one()
    assert event.detail == {"rows": 2} and event.user_id == signed_in.clinician.id


def test_formula_cells_are_neutralised(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.5: 2})
    block.entries[0].note = '=HYPERLINK("http://evil.example","x")'
    block.entries[0].activity = "+1 stairs"
    signed_in.patient.display_name = "@SUM(A1)"
    db.session.commit()
    row = read_csv(client.get(f"/blocks/{block.id}/entries.csv"))[0]
    assert row["note"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["activity"] == "'+1 stairs"
    assert row["patient"] == "'@SUM(A1)"


def test_numbers_are_not_neutralised():
    assert export.number_cell(-12.5) == "-12.5"
    assert export.number_cell(100.0) == "100"
    assert export.number_cell(None) == ""
    for trigger in ("=", "+", "-", "@", "\t", "\r"):
        assert export.text_cell(trigger + "x") == "'" + trigger + "x"
    assert export.text_cell("plain") == "plain"


def test_csv_stream_quotes_per_rfc_4180():
    lines = list(export.csv_stream(["a", "b"], [['say "hi", then', "line\nbreak"]]))
    assert lines[0] == "\ufeffa,b\r\n"
    assert lines[1] == '"say ""hi"", then","line\nbreak"\r\n'
    parsed = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff"), newline="")))
    assert parsed[1] == ['say "hi", then', "line\nbreak"]


def test_csv_stream_is_lazy():
    produced = []

    def rows():
        for i in range(3):
            produced.append(i)
            yield [str(i)]

    stream = export.csv_stream(["n"], rows())
    next(stream)
    assert produced == []
    next(stream)
    assert produced == [0]
