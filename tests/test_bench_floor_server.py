"""The required floors served by gunicorn (bench/floor_server.py), as run_all reads them
with wrk beside their paths: each answers 2xx over HTTP to the requests its path's load
sends (the same scripts, sent to the floor's route), and the dashboard's floors answer the
real pages' bytes there too. A floor that answered less, or refused, would bound nothing."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from bench import required_floors, run_all
from bench.harness import free_port, start_gunicorn, wait_for


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A small synthetic clinic (SQLite), and the floor server on it."""
    tmp = tmp_path_factory.mktemp("floors")
    env = run_all.served_env(f"sqlite:///{tmp}/floors.sqlite3")
    run_all.flask(env, "db", "upgrade")
    made = run_all.flask(env, "synth", "--blocks", "40", "--entries", "5")
    email = re.search(r"sign in as (\S+)", made).group(1)
    tokens = json.loads(run_all.python(env, run_all.TOKENS))
    spec = tmp / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "email": email,
                "search": "s00001",
                "chart_block": 1,
                "page_tokens": tokens[20:],
            }
        )
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(
        run_all.BIN,
        f"127.0.0.1:{port}",
        env | {"BENCH_FLOOR_SPEC": str(spec)},
        run_all.ROOT,
        app="bench.floor_server:app",
    )
    try:
        wait_for(f"{base}/healthz", timeout=120)
        yield base, email, tokens
    finally:
        server.terminate()
        server.wait(20)


def fetched(base: str, path: str, cookie: str = "", body: bytes | None = None) -> tuple:
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=body, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local)
        return response.status, response.read()


def test_each_floor_answers_its_paths_requests_over_http(served):
    base, email, tokens = served
    session = run_all.sign_in(base, email, run_all.PASSWORD)
    write_path = run_all.FLOOR_ROUTES["entry_post"][0] + tokens[0]
    status, body = fetched(base, write_path, body=b'{"pain": 3, "client_id": "floor-1"}')
    assert status == 201 and "id" in json.loads(body)

    status, page = fetched(base, run_all.FLOOR_ROUTES["patient_page"][0] + tokens[20])
    assert status == 200 and tokens[20].encode() in page and b'name="client_id"' in page

    status, chart = fetched(base, run_all.FLOOR_ROUTES["chart_cached"][0], session)
    assert status == 200 and chart.startswith(b"\x89PNG")


def test_the_dashboards_floors_answer_the_real_pages_bytes_over_http(served):
    base, email, _ = served
    for search in ("", "s00001"):
        session = run_all.sign_in(base, email, run_all.PASSWORD, search=search)
        _, page = fetched(base, "/", session)
        status, floor = fetched(base, run_all.FLOOR_ROUTES["dashboard"][0], session)
        assert status == 200
        assert required_floors.same_page(page, floor) == "same bytes (the CSRF token aside)"
    assert page.count(b'<td data-label="Patient">') == 10  # S000010 to S000019


def test_the_floors_load_is_the_paths_own_script_sent_to_the_floor():
    write = run_all.retargeted(
        run_all.ENTRY_POST, '"/api/v1/diary/" .. token .. "/entries"', '"/_floor/w/" .. token'
    )
    assert '"/_floor/w/" .. token' in write and "/api/v1/diary/" not in write
    assert write.replace('"/_floor/w/" .. token', "") == run_all.ENTRY_POST.replace(
        '"/api/v1/diary/" .. token .. "/entries"', ""
    )
    with pytest.raises(ValueError, match="no longer writes"):
        run_all.retargeted(run_all.PATIENT_PAGE, '"/diary/"', '"/_floor/"')


def result(rps: float, p50: float, p95: float) -> dict:
    return {"rps": rps, "p50_ms": p50, "p95_ms": p95}


def test_paired_rounds_read_the_path_and_its_floor_beside_one_healthz(monkeypatch):
    """Each round: /healthz (read again when it falls into the slow mode), the path, the
    floor; path/floor from the two runs' own figures."""
    answers = iter(
        [
            result(4000, 3.0, 10.0),  # round 1: /healthz
            result(800, 10.0, 40.0),  # the path
            result(1200, 8.0, 30.0),  # its floor
            result(1500, 9.0, 30.0),  # round 2: /healthz in the slow mode, read again
            result(3800, 3.0, 8.0),
            result(700, 12.0, 48.0),
            result(1100, 9.0, 32.0),
            result(4100, 3.0, 12.0),  # round 3
            result(900, 9.0, 36.0),
            result(1300, 7.0, 24.0),
        ]
    )
    monkeypatch.setattr(run_all, "wrk", lambda *asked, **how: next(answers))
    monkeypatch.setattr(run_all, "ROUNDS", 3)

    read = run_all.paired_rounds("http://127.0.0.2:1", "p95_ms", ("path",), ("floor",))

    assert [one["healthz"]["retried"] for one in read["rounds"]] == [0, 1, 0]
    assert [round(one["ratio"], 2) for one in read["rounds"]] == [3.0, 4.0, 2.0]
    assert [round(one["path_ratio"], 2) for one in read["rounds"]] == [4.0, 6.0, 3.0]
    assert [round(one["path_over_floor"], 2) for one in read["rounds"]] == [1.33, 1.5, 1.5]
    assert (read["ratio"], read["path_ratio"], read["path_over_floor"]) == (3.0, 4.0, 1.5)
    with pytest.raises(StopIteration):
        next(answers)


def test_the_table_says_met_cannot_be_met_or_missed_by_the_floors_measure():
    healthz = result(3000, 4.0, 10.0)
    figures: dict = {
        "healthz": healthz,
        "entry_post": result(900, 9.0, 30.0) | {"healthz": healthz},  # 0.30x
        "dashboard": result(300, 20.0, 50.0) | {"healthz": healthz},  # p95 5.0x
        "patient_page": result(800, 10.0, 25.0) | {"healthz": healthz},  # p95 2.5x
        "chart_cached": result(2000, 8.0, 12.0) | {"healthz": healthz},  # p50 2.0x
    }

    def floor(figure: str, ratios: list[float], beside: list[float], over: float) -> dict:
        rounds = [
            {"ratio": r, "path_ratio": b, "path_over_floor": over}
            for r, b in zip(ratios, beside, strict=True)
        ]
        middle = sorted(ratios)[1]
        return {
            "figure": figure,
            "ratio": middle,
            "path_ratio": sorted(beside)[1],
            "path_over_floor": over,
            "rounds": rounds,
        }

    figures["floors"] = {
        "entry_post": floor("rps", [0.4, 0.45, 0.3], [0.3, 0.28, 0.31], 1.33),  # beyond >= 0.5
        "dashboard": floor("p95_ms", [2.0, 3.5, 2.2], [4.0, 5.0, 6.0], 2.27),  # within (one not)
        "patient_page": floor("p95_ms", [1.0, 1.2, 1.1], [2.0, 2.5, 2.4], 2.2),
        "chart_cached": floor("p50_ms", [1.6, 1.7, 1.9], [2.0, 2.1, 2.2], 1.2),  # beyond <= 1.5
    }
    rows = dict(zip(figures["floors"], run_all.floor_rows(figures, "SQLite"), strict=True))

    beyond = "| cannot be met here: the floor alone is beyond it (3 of 3 rounds) |"
    assert rows["entry_post"].endswith(beyond)
    assert (
        "| 0.30× | 0.30× (0.30, 0.28, 0.31) | 0.40× (rounds 0.40, 0.45, 0.30) | ≥ 0.5× | 1.33 |"
        in rows["entry_post"]
    )
    assert rows["dashboard"].endswith(
        "| missed; the floor is within it (beyond in 1 of 3 rounds) |"
    )
    assert (
        "| 5.00× | 5.00× (4.00, 5.00, 6.00) | 2.20× (rounds 2.00, 3.50, 2.20) | ≤ 3.0× | 2.27 |"
        in rows["dashboard"]
    )
    assert rows["patient_page"].endswith("| met |")
    assert rows["chart_cached"].endswith(beyond)


def test_with_cost_counts_the_serving_processes_cpu_an_answer():
    """The size figure and the floors' rounds read what an answer costs: a run that burns
    0.3 s of this process's CPU over 30 answers costs about 10 ms an answer, on one core."""
    import os
    import time

    def burn() -> dict:
        started = time.process_time()
        while time.process_time() - started < 0.3:
            pass
        return {"requests": 30}

    cost = run_all.with_cost([os.getpid()], "sqlite://", burn)

    assert cost["requests"] == 30
    assert 8 <= cost["cpu_ms"] <= 14
    assert 0.5 <= cost["serving_cores"] <= 1.1
    assert 0.0 < cost["machine_busy"] <= 1.0


def test_the_size_figure_reads_the_dashboards_cost_when_counted():
    """Two clinics' dashboards in turn: the verdict reads the CPU an answer (the cost the
    target names), with the p50s beside it; older results (p50s only) read the p50s."""
    healthz = result(3000, 4.0, 10.0)
    base = {key: result(900, 9.0, 30.0) | {"healthz": healthz} for key in run_all.FLOOR_TARGETS}
    base |= {
        "healthz": healthz,
        "dashboard_small": result(900, 9.0, 30.0),
        "worklist": result(100, 90.0, 200.0) | {"healthz": healthz},
        "next_steps": result(600, 20.0, 40.0) | {"healthz": healthz},
        "csv": {"rows": 10, "app_s": 1, "app_rows_per_s": 10, "native_rows_per_s": 20,
                "native_s": 0.5, "worker_peak_mb_after": 100},
        "report_pdf": {"warm_s": 0.2, "cold_s": 0.5},
    }  # fmt: skip

    def pair(big_cpu: float, small_cpu: float, big_p50: float, small_p50: float) -> dict:
        return {
            "big": result(500, big_p50, 40.0) | {"cpu_ms": big_cpu},
            "small": result(500, small_p50, 40.0) | {"cpu_ms": small_cpu},
        }

    # p50s that swing with the machine (2.0x, 0.5x, 1.5x), costs that do not (1.1, 1.0, 1.05)
    sizes = [pair(5.5, 5.0, 60.0, 30.0), pair(5.0, 5.0, 15.0, 30.0), pair(5.25, 5.0, 45.0, 30.0)]

    def size_row(figures: dict) -> tuple:
        rows = run_all.figure_rows(figures, "SQLite")
        return next(row for row in rows if "vs" in row[0] and "blocks" in row[0])

    costed = size_row(base | {"dashboard_sizes": sizes})
    assert costed[4].startswith("1.05× (rounds 1.10, 1.00, 1.05; by p50 1.50×")
    assert costed[6] is True
    assert "ABBA" in costed[0]
    assert costed[2].startswith("CPU 5.50, 5.00, 5.25 ms; p50 60.0, 15.0, 45.0 ms")

    p50_only = [{side: {k: v for k, v in one[side].items() if k != "cpu_ms"} for side in one}
                for one in sizes]  # fmt: skip
    older = size_row(base | {"dashboard_sizes": p50_only})
    assert older[4] == "1.50× (rounds 2.00, 0.50, 1.50)"
    assert older[6] is False


def test_the_cost_table_reads_each_target_as_cpu_an_answer():
    """A throughput's limit is the inverse in CPU (0.5x the answers: 2x the CPU each), a
    latency's is itself; the floor's rounds beyond it are counted, wrk's CPU included."""

    def cost(cpu: float, client: float = 0.1) -> dict:
        return {"cpu_ms": cpu, "client_cpu_ms": client, "serving_cores": 1.8, "machine_busy": 0.97}

    def rounds(floor_cpus: list[float]) -> dict:
        return {
            "rounds": [
                {"healthz": cost(0.9), "path": cost(3.9), "floor": cost(f)} for f in floor_cpus
            ]
        }

    r = {"floors": {"entry_post": rounds([2.0, 1.8, 1.7]), "dashboard": rounds([2.6, 3.4, 1.0])}}
    post, dashboard = run_all.cost_rows(r, "SQLite")

    # entry post: 2.1, 1.9 and 1.8 over 1.0 against 2x
    assert post.startswith("| entry post, throughput | SQLite | 0.90 + 0.10 ms | 3.90 + 0.10 ms")
    assert "| 4.00× | 1.90× | 2.00×: 1 of 3 rounds | 1.80, 97 % | 1.80, 97 % |" in post
    # dashboard: 2.7, 3.5 and 1.1 over 1.0 against 3x
    assert "| 4.00× | 2.70× | 3.00×: 1 of 3 rounds |" in dashboard


def test_a_run_in_the_slow_mode_is_read_again_and_left_out_of_the_counts():
    """Under 75 % of the cores busy under wrk's closed loop is the machine's slow mode: the
    run is read again (up to twice), and a round holding one is left out of the medians and
    counts while clean rounds remain."""
    busy = iter([0.57, 0.60, 0.98])
    read = run_all.busy_run(lambda run: run() | {"machine_busy": next(busy)}, lambda: {"rps": 1})
    assert (read["retried"], read["machine_busy"]) == (2, 0.98)
    stuck = run_all.busy_run(lambda run: run() | {"machine_busy": 0.5}, lambda: {"rps": 1})
    assert stuck["retried"] == run_all.SLOW_RETRIES

    def one(floor_busy: float, ratio: float, over: float) -> dict:
        runs = {"healthz": {"machine_busy": 0.99}, "path": {}}
        runs["floor"] = {"machine_busy": floor_busy}
        return runs | {"ratio": ratio, "path_ratio": 2.0, "path_over_floor": over}

    rounds = [one(0.99, 3.5, 1.2), one(0.57, 2.0, 3.0), one(0.95, 3.4, 1.6)]
    assert run_all.clean_rounds(rounds) == [rounds[0], rounds[2]]
    assert run_all.clean_rounds([rounds[1]]) == [rounds[1]]  # none clean: all kept
    healthz = result(3000, 4.0, 10.0)
    figures = {
        "healthz": healthz,
        "dashboard": result(300, 20.0, 50.0) | {"healthz": healthz},
        "floors": {
            "dashboard": {"figure": "p95_ms", "ratio": 3.4, "path_ratio": 2.0,
                          "path_over_floor": 1.4, "rounds": rounds},
        },
    }  # fmt: skip
    (row,) = run_all.floor_rows(figures, "SQLite")
    assert row.endswith(
        "| cannot be met here: the floor alone is beyond it (2 of the 2 clean rounds of 3) |"
    )
    assert "| 3.45× (rounds 3.50, 2.00, 3.40) | ≤ 3.0× | 1.40 |" in row  # path/floor: clean
