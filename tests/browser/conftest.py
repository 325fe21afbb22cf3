"""A live server on a free port for the browser tests (Chromium: tests/conftest.py)."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from diary.extensions import db
from tests.conftest import PHONE, World, make_app


class LiveServer:
    """The app served from a thread on 127.0.0.1; it can be stopped and restarted on its port."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def restart(self) -> LiveServer:
        return LiveServer(self.app, self.port)


@pytest.fixture
def live_app(tmp_path):
    """The app on SQLite with two clinics' data, served on 127.0.0.1 from a thread."""
    app = make_app("sqlite:///" + str(tmp_path / "browser.sqlite3"))
    with app.app_context():
        db.create_all()
        world = World()
        world.block_id, world.token = world.block.id, world.block.diary_token
    app.server = LiveServer(app)
    app.base_url = f"http://127.0.0.1:{app.server.port}"
    app.world = world
    yield app
    app.server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()
