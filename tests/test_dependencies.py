"""The pinned dependencies (constraints.txt) against the known-vulnerability data of the
package index this machine reaches (pip-audit); skipped, saying why, when it has none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"


def test_pinned_dependencies_have_no_known_vulnerabilities():
    pytest.importorskip("pip_audit")
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(CONSTRAINTS), "--no-deps",
        "--disable-pip", "--progress-spinner", "off", "--format", "json", "--timeout", "20",
    ]  # fmt: skip
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.skip("pip-audit: the vulnerability service did not answer within 3 minutes")
    if not run.stdout.strip().startswith("{"):
        reason = (run.stderr.strip().splitlines() or ["no output"])[-1][:200]
        pytest.skip(f"pip-audit could not reach a vulnerability service: {reason}")
    dependencies = json.loads(run.stdout)["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        pytest.skip(
            f"pip-audit: the package index this machine reaches has no vulnerability data "
            f"for any of the {len(dependencies)} pinned packages "
            f"(e.g. {dependencies[0]['skip_reason']})"
        )
    vulnerable = {
        f"{d['name']} {d['version']}": [v["id"] for v in d["vulns"]] for d in audited if d["vulns"]
    }
    assert vulnerable == {}, "upgrade these in pyproject.toml, then make constraints"
