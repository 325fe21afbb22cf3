"""Write diary/date_words.py from Babel's locale data: `.venv/bin/python tools/date_words.py`.

Run it after upgrading Babel or adding a language (tests/test_date_words.py says when).
"""

from __future__ import annotations

import pprint
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from diary.i18n import LANGUAGES, date_words_from_babel  # noqa: E402

TARGET = ROOT / "diary" / "date_words.py"
HEAD = '''"""Each language's names of days, months and eras and the patient pages' date patterns,
copied from Babel's CLDR data by tools/date_words.py (do not edit): all diary/i18n.py's
date_as reads, without loading Babel's whole data for a language (3.4 MB for English)."""

'''


def main() -> None:
    words = {str(language): date_words_from_babel(str(language)) for language in LANGUAGES}
    body = "DATE_WORDS: dict = " + pprint.pformat(words, width=100, sort_dicts=True) + "\n"
    TARGET.write_text(HEAD + body)
    ruff = str(Path(sys.executable).parent / "ruff")
    subprocess.run([ruff, "format", "-q", str(TARGET)], check=True)


if __name__ == "__main__":
    main()
