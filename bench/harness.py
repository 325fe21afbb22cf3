"""What the benchmark scripts share: a free port, waiting for a server, its workers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer")


def worker_pids(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def start_gunicorn(bin_dir, bind: str, env: dict, cwd, app: str = "app:app") -> subprocess.Popen:
    """gunicorn.conf.py's settings with 2 workers, none recycled mid-measurement (after
    max_requests: its closed connections would read as failed requests), quiet; ``app``
    is the WSGI app served (the app's own, or bench/floor_server.py's floors beside it)."""
    return subprocess.Popen(
        [bin_dir / "gunicorn", "-w", "2", "--timeout", "600", "--max-requests", "0",
         "-b", bind, app],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
