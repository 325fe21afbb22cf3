"""The required floors served as the app is served: ``gunicorn bench.floor_server:app``
(gunicorn.conf.py's settings, as run_all starts the app), so that wrk measures each floor
by the same measure as the target it bounds, a p95 or p50 or a throughput beside the same
server's ``/healthz`` (issue 23 item 3). A thread-CPU floor in process (bench/bounds.py)
bounds a path's CPU and throughput ratio only: under wrk each request also pays gunicorn,
the kernel and wrk, and the tails differ in shape.

This is the app of app.py (the same object gunicorn serves, built once in the master) with
the floor routes of bench/bounds.py and bench/required_floors.py added, in this process
only. Before the workers fork, the master fills what the floors send from the real pages
of the same data, through the test client: the chart's bytes, the diary pages' frames
(one per diary the load reads) and the dashboard's shells (with and without the kept
search), and checks that the dashboard's and the diary page's required floors answer the
real pages' bytes.

BENCH_FLOOR_SPEC names a JSON file: ``email`` (the clinician whose dashboard and chart are
read), ``search`` (the kept dashboard search), ``chart_block`` (the cached chart's block)
and ``page_tokens`` (the diaries whose pages the load reads).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app import app  # noqa: E402
from bench import bounds, inprocess, required_floors  # noqa: E402

bodies: dict[str, bytes] = {}
frames: dict[str, required_floors.Frame] = {}
shells: dict[str, required_floors.Shell] = {}
bounds.add_floors(app, bodies)
required_floors.add_required_floors(app, frames, shells)


def fill_from_real_pages(spec: dict) -> None:
    """What the floors send, taken from the real pages (CSRF on, as the app runs)."""
    from diary.extensions import db
    from diary.sample_data import SYNTHETIC_PASSWORD

    if not app.config["WTF_CSRF_ENABLED"]:
        raise inprocess.NotServed("the floors are measured with CSRF on, as the app runs")
    signed = app.test_client()
    inprocess.sign_in(signed, spec["email"], SYNTHETIC_PASSWORD, csrf=True)
    searching = required_floors.searching_client(app, spec["email"], spec["search"])
    anonymous = app.test_client()
    chart = signed.get(f"/blocks/{spec['chart_block']}/chart.png")
    inprocess.answered(chart, "the cached chart")
    bodies["chart_cached"] = chart.get_data()
    for token in spec["page_tokens"]:
        frames[token] = required_floors.diary_frame(anonymous, token)
    shells["dashboard"] = required_floors.dashboard_shell(app, signed)
    shells["dashboard_search"] = required_floors.dashboard_shell(app, searching, spec["search"])
    for name, client in (("dashboard", signed), ("dashboard search", searching)):
        same = required_floors.floor_against_page(client)
        if not same.startswith("same bytes"):
            raise inprocess.NotServed(f"the {name}'s required floor is not the page: {same}")
    for token in spec["page_tokens"][:3]:
        same = required_floors.diary_floor_against_page(anonymous, token)
        if same != "same bytes":
            raise inprocess.NotServed(f"the diary page's required floor is not the page: {same}")
    with app.app_context():
        db.session.remove()


fill_from_real_pages(json.loads(Path(os.environ["BENCH_FLOOR_SPEC"]).read_text()))
