"""The CSV exports as Excel workbooks: the same columns and rows, each cell typed by the
table schema (diary/records/export.py) so that a spreadsheet keeps what it should. Flask-free.

MRNs and other text are text cells (leading zeros stay), numbers are numbers, booleans
are booleans and times are real date-time cells in UTC. Each header is the CSV's column
name, exactly (a script reads both files by the same names); the zone is the table
schema's to say (export.table_schema), as for the CSV.
A text cell is never a formula, whatever it starts with, so it carries the value as typed:
the rows come from the CSV export's lines built with ``plain_cell``, not its guard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime

from diary.records.export import ALL_FIELDS, printable

# Excel's own limit, header row included.
MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
DAY_FORMAT = "yyyy-mm-dd"
# Column widths in characters: a date-time cell in DATE_FORMAT needs 19 (narrower, Excel
# shows ########); text columns are as wide as their header, within bounds.
WIDTHS = {"datetime": 20, "date": 11, "number": 10, "integer": 9, "boolean": 8}
TEXT_WIDTH = (12, 40)


class TooManyRows(ValueError):
    pass


def width(name: str) -> float:
    kind = ALL_FIELDS[name][0]
    if kind in WIDTHS:
        return max(WIDTHS[kind], len(name) + 2)
    low, high = TEXT_WIDTH
    return min(max(low, len(name) + 2), high)


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
    if kind == "date":  # a calendar day (the clinic's): a date cell, no time zone
        return date.fromisoformat(text)
    return printable(text)  # a stored control character would make the file unreadable


def workbook(columns: list[str], groups: Iterable[list[str]], sheet: str) -> bytes:
    """An .xlsx of the CSV ``groups`` (lists of lines, as the CSV export streams them,
    their text cells written by ``plain_cell``)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    kinds = [ALL_FIELDS[name][0] for name in columns]
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for number, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(number)].width = width(name)
    ws.freeze_panes = "A2"  # the header stays in view
    bold = Font(bold=True)
    titles = []
    for name in columns:
        title = WriteOnlyCell(ws, value=name)
        title.font = bold
        titles.append(title)
    ws.append(titles)
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
                elif kind == "date":
                    cell.number_format = DAY_FORMAT
                out.append(cell)
            ws.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
