"""README "Past one database" stays true: its sharding table names every table the models
make, and each table it says carries `clinic_id` does."""

from __future__ import annotations

import re
from pathlib import Path

from diary.extensions import db

README = Path(__file__).resolve().parent.parent / "README.md"


def sharding_rows() -> dict[str, str]:
    text = README.read_text()
    section = text[text.index("## Past one database") :]
    section = section[: section.index("\n## ", 1)]
    table = section[section.index("| table | reachable by `clinic_id` today |") :]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        first, today = line.split("|")[1:3]
        for name in re.findall(r"`(\w+)`", first):
            rows[name] = today
    return rows


def test_every_table_is_in_the_sharding_plan():
    import diary.models  # noqa: F401 (the models' tables)

    rows = sharding_rows()
    assert set(rows) == set(db.metadata.tables) | {"alembic_version"}


def test_a_table_said_to_have_the_key_has_it():
    import diary.models  # noqa: F401

    for name, today in sharding_rows().items():
        if "`clinic_id` column" in today:
            assert "clinic_id" in db.metadata.tables[name].columns, name
        if today.strip().startswith("through"):
            assert "clinic_id" not in db.metadata.tables[name].columns, name
