"""Where one PostgreSQL stops: the entry post's own transaction, run by pgbench straight
against the database (no app in front), as many at once as the server takes.

    python bench/database_limit.py postgresql://postgres@127.0.0.1:5432/DB [seconds]

DB holds a synthetic clinic (`flask synth`). Each transaction is what an entry post
sends (diary/services/entries.py): the block and its clinic, the diary's entry count,
INSERT … ON CONFLICT DO NOTHING RETURNING, the block's change time, COMMIT with the
server's default durability (synchronous_commit on: each commit waits for the WAL to be
flushed). The block is picked by id rather than by its token (the same kind of unique
index look-up). Prints the entries per second at 4, 16 and 64 clients. Writes into DB:
use a scratch database.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile

ENTRY_TRANSACTION = """
\\set block random(1, {blocks})
\\set n random(1, 2000000000)
BEGIN;
SELECT block.*, clinic.* FROM block JOIN clinic ON clinic.id = block.clinic_id
  WHERE block.id = :block;
SELECT count(diary_entry.id) FROM diary_entry WHERE diary_entry.block_id = :block;
INSERT INTO diary_entry (block_id, client_id, recorded_at, submitted_at, made_at, due_at,
  pain, reported_relief_pct, activity, note, side_effects, side_effect_note, source,
  entered_by_id)
  VALUES (:block, 'pgbench-' || :client_id || '-' || :n, now(), now(), now(), NULL,
  :n % 11, NULL, NULL, NULL, NULL, NULL, 'patient', NULL)
  ON CONFLICT (block_id, client_id) DO NOTHING
  RETURNING diary_entry.id, diary_entry.block_id, diary_entry.client_id,
  diary_entry.recorded_at, diary_entry.submitted_at, diary_entry.made_at,
  diary_entry.due_at, diary_entry.pain, diary_entry.reported_relief_pct,
  diary_entry.activity, diary_entry.note, diary_entry.side_effects,
  diary_entry.side_effect_note, diary_entry.updated_at, diary_entry.source,
  diary_entry.entered_by_id;
UPDATE block SET changed_at = now() WHERE block.id = :block;
COMMIT;
"""
CLIENTS = (4, 16, 64)


def entries_per_second(url: str, seconds: int = 10) -> dict:
    """pgbench's transactions (entries) per second at each number of clients."""
    if not shutil.which("pgbench"):
        sys.exit("pgbench is needed (Debian: postgresql-client)")
    blocks = subprocess.run(
        ["psql", url, "-qAt", "-c", "SELECT max(id) FROM block"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    found: dict = {"seconds": seconds, "by_clients": {}}
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(ENTRY_TRANSACTION.format(blocks=int(blocks)))
        script.flush()
        for clients in CLIENTS:
            output = subprocess.run(
                [
                    "pgbench",
                    "--no-vacuum",
                    "--protocol=prepared",
                    f"--client={clients}",
                    f"--jobs={min(clients, 2)}",
                    f"--time={seconds}",
                    f"--file={script.name}",
                    url,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            tps = re.search(r"tps = ([\d.]+)", output)
            latency = re.search(r"latency average = ([\d.]+) ms", output)
            failed = re.search(r"number of failed transactions: (\d+)", output)
            if failed and int(failed.group(1)):
                sys.exit(f"pgbench: {failed.group(1)} transactions failed\n{output}")
            found["by_clients"][clients] = {
                "entries_per_s": round(float(tps.group(1))),
                "latency_ms": float(latency.group(1)) if latency else None,
            }
    found["best_entries_per_s"] = max(v["entries_per_s"] for v in found["by_clients"].values())
    found["bytes_per_row"] = bytes_per_row(url)
    return found


def bytes_per_row(url: str, tables: tuple[str, ...] = ("diary_entry", "block", "patient")) -> dict:
    """Each table's size on disk with its indexes and TOAST, per row."""
    sizes = {}
    for table in tables:
        rows, size = subprocess.run(
            [
                "psql",
                url,
                "-qAt",
                "-F",
                " ",
                "-c",
                f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}",  # noqa: S608
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        sizes[table] = round(int(size) / max(int(rows), 1))
    return sizes


if __name__ == "__main__":
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(json.dumps(entries_per_second(sys.argv[1], seconds)))
