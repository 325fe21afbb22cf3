"""Start-up's profile: the 30 imports costing most under `python -X importtime -c 'import app'`
(sorted by cumulative time), and the CPU time of `import app` beside `python -c pass`.

    python bench/startup_profile.py bench/profiles/startup_after.txt

Run in the environment the guard runs in: with PYTHONDONTWRITEBYTECODE=1 the app's own
modules are compiled at every start (no .pyc is written), which the figures then include.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.guard import child_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 7


def main() -> None:
    out = Path(sys.argv[1])
    env = dict(os.environ, BLOCK_DIARY_ENV="development")
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in imports.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match[2]), int(match[1]), len(match[3]) // 2, match[4]))
    rows.sort(reverse=True)
    app_cpu, python_cpu = [], []
    for _ in range(ROUNDS):
        app_cpu.append(child_cpu([sys.executable, "-c", "import app"], env))
        python_cpu.append(child_cpu([sys.executable, "-c", "pass"], env))
    app_ms, python_ms = statistics.median(app_cpu) * 1000, statistics.median(python_cpu) * 1000
    bytecode = "not written" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "written"
    lines = [
        "# start-up: `python -X importtime -c 'import app'`",
        "",
        f"CPU, median of {ROUNDS}: import app {app_ms:.0f} ms, python -c pass {python_ms:.0f} ms,"
        f" ratio {app_ms / python_ms:.1f} (bytecode of the app's modules {bytecode}).",
        "",
        "The 30 imports costing most, cumulative (µs, self µs, depth, module):",
        "",
    ]
    lines += [f"{c:>9} {s:>9} {d:>3} {m}" for c, s, d, m in rows[:30]]
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:3]))


if __name__ == "__main__":
    main()
