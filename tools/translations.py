"""Refresh the translation catalogs: `.venv/bin/python tools/translations.py`.

Extracts every marked string, merges it into each language's .po file and
compiles the .mo files the app reads. Translators edit the .po files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "diary" / "translations"
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def main() -> None:
    pot = CATALOGS / "messages.pot"
    subprocess.run(
        [
            PYBABEL,
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [PYBABEL, "-q", "update", "-N", "-i", str(pot), "-d", str(CATALOGS)], cwd=ROOT, check=True
    )
    subprocess.run([PYBABEL, "-q", "compile", "-d", str(CATALOGS)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
