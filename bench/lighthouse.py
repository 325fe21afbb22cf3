"""Lighthouse (v12, mobile) on the patient's diary page, served by gunicorn on 127.0.0.1.

Usage: .venv/bin/python bench/lighthouse.py   (installs lighthouse into bench/node_modules once)
Prints the performance, accessibility and best-practices scores and the page weight.
Targets (issue 5): performance >= 95, accessibility 100, best practices 100.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
BIN = Path(sys.executable).parent


def main() -> None:
    if not LIGHTHOUSE.exists():
        if not shutil.which("npm"):
            sys.exit("npm is needed to install lighthouse")
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(BENCH),
                "lighthouse@12.8.2",
            ],
            check=True,
        )
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            BLOCK_DIARY_ENV="development",
            DATABASE_URL=f"sqlite:///{tmp}/lighthouse.sqlite3",
            FLASK_APP="app",
        )
        subprocess.run(
            [BIN / "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        subprocess.run([BIN / "flask", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        token = subprocess.run(
            [
                BIN / "python",
                "-c",
                "from app import app\nfrom diary.extensions import db\n"
                "from diary.models import Block\n"
                "with app.app_context():\n print(db.session.get(Block, 3).diary_token)",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        port = free_port()
        server = subprocess.Popen(
            [BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"],
            env=env,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/d/{token}"
        try:
            for _ in range(50):
                try:
                    urllib.request.urlopen(url, timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.2)
            report = Path(tmp) / "report.json"
            subprocess.run(
                [
                    LIGHTHOUSE,
                    url,
                    "--quiet",
                    "--form-factor=mobile",
                    "--output=json",
                    f"--output-path={report}",
                    "--only-categories=performance,accessibility,best-practices",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                ],
                env=dict(env, CHROME_PATH="/usr/bin/chromium"),
                check=True,
            )
            result = json.loads(report.read_text())
        finally:
            server.terminate()
            server.wait(10)
    scores = {key: round(category["score"] * 100) for key, category in result["categories"].items()}
    weight = result["audits"]["total-byte-weight"]["numericValue"]
    print(f"Lighthouse {result['lighthouseVersion']}, mobile, {url.split('/d/')[0]}/d/<token>")
    for name, score in scores.items():
        print(f"  {name:15} {score}")
    print(f"  page weight     {weight / 1024:.1f} KB over the wire")
    print(f"  LCP             {result['audits']['largest-contentful-paint']['displayValue']}")


if __name__ == "__main__":
    main()
