"""The CSV exports as Excel workbooks: the same columns and rows, each cell typed by the
table schema (diary/records/export.py) so that a spreadsheet keeps what it should. Flask-free.

MRNs and other text are text cells (leading zeros stay), numbers are numbers, booleans
are booleans and times are real date-time cells in UTC. A text cell is never a formula,
whatever it starts with.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from diary.records.export import ALL_FIELDS

# Excel's own limit, header row included.
MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"


class TooManyRows(ValueError):
    pass


def _typed(kind: str, text: str):
    if text == "":
        return None
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return text == "true"
    if kind == "datetime":
        return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
    return text


def workbook(columns: list[str], groups: Iterable[list[str]], sheet: str) -> bytes:
    """An .xlsx of the CSV ``groups`` (lists of lines, as the CSV export streams them)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    kinds = [ALL_FIELDS[name][0] for name in columns]
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(columns)
    rows = 1
    for lines in groups:
        for cells in csv.reader(io.StringIO("".join(lines), newline="")):
            rows += 1
            if rows > MAX_ROWS:
                raise TooManyRows(f"more than {MAX_ROWS - 1:,} rows: use the CSV download")
            out = []
            for kind, text in zip(kinds, cells, strict=True):
                cell = WriteOnlyCell(ws, value=_typed(kind, text))
                if kind == "string":
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    cell.number_format = "@"
                elif kind == "datetime":
                    cell.number_format = DATE_FORMAT
                out.append(cell)
            ws.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
