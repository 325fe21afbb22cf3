"""Regenerate the README screenshots from the demo clinic: `python docs/screenshots.py`."""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diary import create_app  # noqa: E402
from diary.cli import DEMO_EMAIL, DEMO_PASSWORD, seed_demo  # noqa: E402
from diary.extensions import db  # noqa: E402
from diary.models import Block  # noqa: E402

OUT = Path(__file__).resolve().parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "screenshots-" + "x" * 32,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.sqlite3",
                "SESSION_COOKIE_SECURE": False,
            }
        )
        with app.app_context():
            db.create_all()
            seed_demo()
            blocks = db.session.execute(select(Block).order_by(Block.id)).scalars().all()
            lidocaine = next(b for b in blocks if b.agent == "lidocaine")
            block_id, ongoing_token = lidocaine.id, blocks[-1].diary_token
            patient_id = lidocaine.patient_id
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for language, scheme, name in (
                ("en-US", "light", "patient-page.png"),
                ("es-ES", "light", "patient-page-es.png"),
                ("en-US", "dark", "patient-page-dark.png"),
                ("es-ES", "dark", "patient-page-es-dark.png"),
            ):
                context = browser.new_context(
                    viewport={"width": 390, "height": 844},
                    is_mobile=True,
                    has_touch=True,
                    locale=language,
                    color_scheme=scheme,
                )
                phone = context.new_page()
                phone.goto(f"{base}/d/{ongoing_token}")
                phone.locator(".score-option").nth(2).tap()
                phone.screenshot(path=OUT / name)
                context.close()
            desk = browser.new_page(viewport={"width": 1280, "height": 900})
            desk.goto(f"{base}/login")
            desk.fill("#email", DEMO_EMAIL)
            desk.fill("#password", DEMO_PASSWORD)
            desk.click("button[type=submit]")
            desk.goto(f"{base}/blocks/{block_id}")
            desk.screenshot(path=OUT / "block-page.png", full_page=True)
            desk.goto(f"{base}/patients/{patient_id}")
            desk.screenshot(path=OUT / "series-page.png", full_page=True)
            browser.close()
        server.shutdown()
    print("wrote", ", ".join(p.name for p in sorted(OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
