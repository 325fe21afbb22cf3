"""The clinic-wide entries CSV (``GET /exports/entries.csv``) alone: its CPU time beside the
database's own dump of the same rows, a cProfile top-20, the file's bytes, and the peak
memory of a process exporting it.

    python bench/csv_export.py time    [--blocks 1000] [--database URL]

``time`` reads the download piece by piece as a client would (kept nowhere) and prints
the thread's CPU time beside the native dump's (sqlite3's CPU; psql's wall time, the
server's CPU not being the child's, also without psql's start) as rows per second and
their ratio (the issue's target: >= 0.33). Beside them, in the same rounds, the *floor*:
the same entry rows read by the same driver in the same chunks as the export reads them
(export_queries' raw cursor, 50 blocks a query, the blocks' ids by SQLAlchemy Core with
yield_per), written by csv.writer with no per-row work and encoded as the response is
(thread CPU). The export cannot be cheaper than it: export / floor is what the export's
own per-row work costs, floor / native what reading rows into Python and csv.writer cost
beside the database's own dump.
    python bench/csv_export.py profile --out bench/profiles/csv_after.txt
    python bench/csv_export.py dump    --out /tmp/entries.csv
    python bench/csv_export.py memory  --blocks 20000
    python bench/csv_export.py floor   --database URL --clinic 1   (bench/run_all.py's)
    python bench/csv_export.py dump-cpu --database URL --clinic 1  (bench/run_all.py's)

``floor`` times the floor alone on a database made elsewhere (run_all's clinic): the
median of --rounds, wall and thread CPU seconds, printed as JSON. ``dump-cpu`` gives the
native dump's CPU seconds there (``sqlite3 -csv``'s; COPY's with its server backend's).

Without --database a SQLite file in a temporary folder is used (kept with --keep DIR, so
a large clinic is made once); a PostgreSQL URL names a scratch database emptied first.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402
from bench.guard import child_cpu  # noqa: E402
from bench.profile_paths import table  # noqa: E402


def setup(database_url: str, blocks: int, entries: int, fresh: bool):
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Clinic, User
    from diary.sample_data import SYNTHETIC_PASSWORD, synthetic_clinic

    app = inprocess.make_app(database_url)
    with app.app_context():
        if fresh and db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.create_all()
        user = db.session.scalars(select(User).join(Clinic).order_by(User.id)).first()
        if user is None:
            user = synthetic_clinic(blocks, entries, seed=2, stale_summaries=False)
        clinic_id, email = user.clinic_id, user.email
        db.session.remove()
    client = app.test_client()
    signed = client.post("/login", data={"email": email, "password": SYNTHETIC_PASSWORD})
    assert signed.status_code == 302
    return app, client, clinic_id


def export_body(client) -> bytes:
    response = client.get("/exports/entries.csv")
    assert response.status_code == 200, response.status_code
    return response.get_data()


def export_streamed(client) -> int:
    """The export read piece by piece as a client reads a download, kept nowhere: its
    rows (the header's line not counted). get_data() would also join the whole body
    into one bytes object (17 MB for 50,000 rows, 350 MB for a million), work a
    streamed download never does, measured as the export's."""
    response = client.get("/exports/entries.csv")
    assert response.status_code == 200, response.status_code
    lines = sum(piece.count(b"\n") for piece in response.response)
    response.close()
    return lines - 1


def floor_export(app, clinic_id: int) -> int:
    """The least the export does for its rows: the clinic's blocks' ids read as the export
    reads its blocks (SQLAlchemy Core, ``yield_per`` 50, oldest first), each chunk's
    entries read as the export reads them (export_queries' raw driver cursor, the same
    statement and columns), written by csv.writer with nothing worked out per row, and
    encoded piece by piece as the response is. Returns the rows written."""
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Block
    from diary.records import export_queries

    rows = 0
    sink = io.StringIO()
    writer = csv.writer(sink, lineterminator="\r\n")
    with app.app_context():
        blocks = (
            select(Block.id)
            .where(Block.clinic_id == clinic_id)
            .order_by(Block.performed_at, Block.id)
            .execution_options(yield_per=50)
        )
        result = db.session.connection().execute(blocks)
        for chunk in result.partitions():
            entries = export_queries.entry_rows([row[0] for row in chunk], in_order=False)
            writer.writerows(entries)
            rows += len(entries)
            sink.getvalue().encode("utf-8")  # the response's bytes, sent and forgotten
            sink.seek(0)
            sink.truncate()
        result.close()
        db.session.remove()
    return rows


# The export's line: the block's cells (20), the entry's (17), the block's again (13: zone,
# birth year, diary status, provisional, the sides' 9), the entry's sides and slot (5).
BLOCK_CELLS, ENTRY_CELLS, AFTER_CELLS = 20, 17, 13


def block_shapes(body: bytes) -> dict[int, tuple[str, str]]:
    """Each block's cells before and after an entry's, as the real export (``body``)
    writes them: read from its first line of each block, written again with the export's
    own ``quoted``."""
    from diary.records.export import quoted

    shapes: dict[int, tuple[str, str]] = {}
    lines = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header = next(lines)
    if len(header) != BLOCK_CELLS + ENTRY_CELLS + AFTER_CELLS + 5:
        raise RuntimeError(f"the export writes {len(header)} cells a row: count them again")
    for cells in lines:
        block_id = int(cells[0])
        if block_id not in shapes:
            after = cells[BLOCK_CELLS + ENTRY_CELLS : BLOCK_CELLS + ENTRY_CELLS + AFTER_CELLS]
            shapes[block_id] = (
                ",".join(map(quoted, cells[:BLOCK_CELLS])) + ",",
                "," + ",".join(map(quoted, after)) + ",",
            )
    return shapes


def floor_cells_export(app, clinic_id: int, shapes: dict[int, tuple[str, str]]) -> int:
    """The floor of the export's cells: ``floor_export``'s rows, driver and chunks, each
    line written whole as the export writes its lines (one f-string a row, joined and
    encoded a chunk at a time): the block's cells prebuilt (``block_shapes``), the entry's
    14 values as the driver gives them (``None`` as written by an f-string), its two
    free-text cells neutralised and quoted as the export must (``text_cell``, ``quoted``),
    and its 8 worked-out cells (hours since the block, the three reliefs, counts and why
    not, on time, the local time) left empty: the 55 cells of the export's row with none
    of its per-row arithmetic. Returns the rows written."""
    from itertools import groupby
    from operator import itemgetter

    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Block
    from diary.records import export_queries
    from diary.records.export import quoted, text_cell

    rows = 0
    with app.app_context():
        blocks = (
            select(Block.id)
            .where(Block.clinic_id == clinic_id)
            .order_by(Block.performed_at, Block.id)
            .execution_options(yield_per=50)
        )
        result = db.session.connection().execute(blocks)
        for chunk in result.partitions():
            entries = export_queries.entry_rows([row[0] for row in chunk], in_order=False)
            lines: list[str] = []
            append = lines.append
            for block_id, block_rows in groupby(entries, itemgetter(0)):
                prefix, suffix = shapes[block_id]
                for (
                    _,
                    entry_id,
                    recorded_at,
                    submitted_at,
                    pain,
                    reported,
                    activity,
                    note,
                    edited,
                    source,
                    due_at,
                    made_at,
                    pain_left,
                    pain_right,
                    slot,
                ) in block_rows:
                    append(
                        f"{prefix}{entry_id},{recorded_at},{submitted_at},,{pain},,{reported},"
                        f"{'' if activity is None else quoted(text_cell(activity))},"
                        f"{'' if note is None else quoted(text_cell(note))},"
                        f"{edited},{source},,,{due_at},{made_at},,{suffix}"
                        f"{pain_left},{pain_right},,,{slot}\r\n"
                    )
            rows += len(lines)
            "".join(lines).encode("utf-8")  # the response's bytes, sent and forgotten
        result.close()
        db.session.remove()
    return rows


def floor_seconds(database_url: str, clinic_id: int, rounds: int) -> dict:
    """floor_export on a database as it is (nothing created): rows, and the median wall
    and thread CPU seconds of ``rounds`` after a first one."""
    app = inprocess.make_app(database_url)
    floor_export(app, clinic_id)  # warm
    walls, cpus, rows = [], [], 0
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.thread_time()
        rows = floor_export(app, clinic_id)
        cpus.append(time.thread_time() - started_cpu)
        walls.append(time.perf_counter() - started)
    return {
        "rows": rows,
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
    }


def server_cpu(app) -> float:
    """CPU seconds this database's client backends have spent so far (PostgreSQL on this
    machine, read from /proc; thread CPU leaves out the server's share of a query)."""
    from sqlalchemy import text

    from diary.extensions import db

    with app.app_context():
        pids = db.session.scalars(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
        ).all()
        db.session.remove()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def copy_dump(app, clinic_id: int) -> float:
    """CPU seconds of COPY … TO STDOUT of the clinic's entries read through the app's own
    connection (read and forgotten): the server's backend and this thread."""
    from diary.extensions import db

    rows = (
        "SELECT diary_entry.* FROM diary_entry JOIN block ON block.id = "  # noqa: S608
        f"diary_entry.block_id WHERE block.clinic_id = {int(clinic_id)}"
    )
    server, started = server_cpu(app), time.thread_time()
    with app.app_context():
        connection = db.session.connection().connection.dbapi_connection
        cursor = connection.cursor()
        with cursor, cursor.copy(f"COPY ({rows}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for _ in copy:
                pass
        db.session.remove()
    return time.thread_time() - started + server_cpu(app) - server


def native_dump(database_url: str, clinic_id: int) -> float:
    """CPU seconds of the database's own CSV dump of the clinic's entries (the child's)."""
    rows = (
        "SELECT diary_entry.* FROM diary_entry JOIN block ON block.id = "  # noqa: S608
        f"diary_entry.block_id WHERE block.clinic_id = {int(clinic_id)}"
    )
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        return child_cpu([shutil.which("sqlite3"), "-csv", "-header", path, rows])
    url = database_url.replace("postgresql+psycopg", "postgresql")
    started = time.perf_counter()  # the server's CPU is not the child's: wall time
    subprocess.run(
        ["psql", url, "-c", f"COPY ({rows}) TO STDOUT WITH CSV HEADER"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def dump_cpu_seconds(database_url: str, clinic_id: int, rounds: int) -> float:
    """The median CPU seconds of the database's own dump of the clinic's entries on a
    database as it is: ``sqlite3 -csv``'s (the child's), or COPY's read through a connection
    of this process (its server backend's and this thread's)."""
    if database_url.startswith("sqlite"):
        return statistics.median(native_dump(database_url, clinic_id) for _ in range(rounds))
    app = inprocess.make_app(database_url)
    return statistics.median(copy_dump(app, clinic_id) for _ in range(rounds))


def psql_start(database_url: str) -> float:
    """Wall seconds of psql connecting and running an empty query: what the dump's
    figure holds besides the dump (the export's connection is already open)."""
    url = database_url.replace("postgresql+psycopg", "postgresql")
    started = time.perf_counter()
    subprocess.run(["psql", url, "-c", "SELECT 1"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["time", "profile", "dump", "memory", "floor", "dump-cpu"])
    parser.add_argument("--clinic", type=int, help="floor: the clinic whose entries are read")
    parser.add_argument("--database")
    parser.add_argument("--keep", help="a folder for the SQLite file, kept between runs")
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.what == "floor":
        print(json.dumps(floor_seconds(args.database, args.clinic, args.rounds)))
        return
    if args.what == "dump-cpu":
        print(json.dumps({"cpu_s": dump_cpu_seconds(args.database, args.clinic, args.rounds)}))
        return
    folder = args.keep or tempfile.mkdtemp()
    Path(folder).mkdir(parents=True, exist_ok=True)
    url = args.database or f"sqlite:///{folder}/csv-{args.blocks}x{args.entries}.sqlite3"
    app, client, clinic_id = setup(url, args.blocks, args.entries, fresh=False)
    if args.what == "dump":
        Path(args.out).write_bytes(export_body(client))
        return
    if args.what == "memory":
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        size = sum(len(piece) for piece in client.get("/exports/entries.csv").response)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{size / 1e6:.1f} MB of CSV in {time.perf_counter() - started:.1f} s; peak RSS "
            f"{peak:.0f} MB (before the export {before:.0f} MB)"
        )
        return
    export_body(client)  # warm
    if args.what == "profile":
        # Thread CPU time: on a machine shared with other work, wall time shares are noise.
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        for _ in range(3):
            export_streamed(client)  # as ``time`` reads it
        profile.disable()
        Path(args.out).write_text(table(profile, 3, f"entries.csv, {args.blocks} x {args.entries}"))
        return
    shapes = block_shapes(export_body(client))
    spent, floor, cells, native, start = [], [], [], [], []
    # PostgreSQL: each with its server backend's CPU too, and COPY read in process.
    with_server: dict[str, list[float]] = {"export": [], "floor": [], "copy": []}
    postgres = not url.startswith("sqlite")
    rows = floor_rows = cells_rows = 0
    floor_export(app, clinic_id)  # warm
    for _ in range(args.rounds):  # the export, its floor and the dump take turns
        server = server_cpu(app) if postgres else 0.0
        started = time.thread_time()
        rows = export_streamed(client)
        spent.append(time.thread_time() - started)
        if postgres:
            with_server["export"].append(spent[-1] + server_cpu(app) - server)
            server = server_cpu(app)
        started = time.thread_time()
        floor_rows = floor_export(app, clinic_id)
        floor.append(time.thread_time() - started)
        started = time.thread_time()
        cells_rows = floor_cells_export(app, clinic_id, shapes)
        cells.append(time.thread_time() - started)
        if postgres:
            with_server["floor"].append(floor[-1] + server_cpu(app) - server)
            with_server["copy"].append(copy_dump(app, clinic_id))
        native.append(native_dump(url, clinic_id))
        if postgres:
            start.append(psql_start(url))
    assert floor_rows == rows == cells_rows, (floor_rows, rows, cells_rows)
    app_s, native_s = statistics.median(spent), statistics.median(native)
    floor_s, cells_s = statistics.median(floor), statistics.median(cells)
    print(
        f"export {app_s * 1000:.0f} ms CPU, native dump {native_s * 1000:.0f} ms: "
        f"{app_s / native_s:.2f}x; {rows:,} rows: export {rows / app_s:,.0f} rows/s, "
        f"native {rows / native_s:,.0f} rows/s, ratio {native_s / app_s:.2f}"
    )
    print(
        f"  floor (same rows, same driver, csv.writer) {floor_s * 1000:.0f} ms CPU, "
        f"{rows / floor_s:,.0f} rows/s"
    )
    print(
        f"  cells' floor (same rows, driver and chunks; the export's 55 cells a row, 8 of them "
        f"left empty) {cells_s * 1000:.0f} ms CPU, {rows / cells_s:,.0f} rows/s; export / it "
        f"{app_s / cells_s:.2f}, it / floor {cells_s / floor_s:.2f}"
    )
    dumps = [("native", native_s)]
    if postgres:
        # At 50,000 rows psql's own start is most of the dump's wall time.
        dump_s = native_s - statistics.median(start)
        dumps.append(("native without psql's start", dump_s))
        print(
            f"  native dump without psql's start ({(native_s - dump_s) * 1000:.0f} ms): "
            f"{dump_s * 1000:.0f} ms, {rows / dump_s:,.0f} rows/s, ratio {dump_s / app_s:.2f}"
        )
    if postgres:
        export_all, floor_all, copy_all = (statistics.median(v) for v in with_server.values())
        print(
            f"  with the server's CPU (its backend, /proc): export {export_all * 1000:.0f} ms, "
            f"floor {floor_all * 1000:.0f} ms, COPY read in process {copy_all * 1000:.0f} ms"
        )
    # Times, not rates: export / native of 3.0 is a rate ratio of 0.33 (the target).
    for name, dump in dumps:
        print(
            f"  times: export / {name} {app_s / dump:.2f}, floor / {name} {floor_s / dump:.2f}, "
            f"export / floor {app_s / floor_s:.2f} (rates: export {dump / app_s:.2f}, "
            f"floor {dump / floor_s:.2f} of the dump's)"
        )
    if postgres:
        print(
            f"  CPU with the server's: export / COPY {export_all / copy_all:.2f}, floor / COPY "
            f"{floor_all / copy_all:.2f}, export / floor {export_all / floor_all:.2f} (rates: "
            f"export {copy_all / export_all:.2f}, floor {copy_all / floor_all:.2f} of COPY's)"
        )


if __name__ == "__main__":
    main()
