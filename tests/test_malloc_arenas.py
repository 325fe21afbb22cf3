"""gunicorn.conf.py holds a worker to two malloc arenas (glibc): each thread's own arena
kept its thread's freed C memory, 19-23 MB more in a worker after report PDFs
(bench/worker_memory.py, bench/profiles/worker_memory_*.txt). It also fixes glibc's mmap
and trim thresholds, which a password check's 8 MiB (scrypt) would otherwise raise, so
that freed large blocks stayed with the worker."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Eight threads allocate at once (C memory: bytearrays past Python's small-object
# allocator), then glibc's malloc_info counts the arenas ("<heap nr=") in use.
COUNT_ARENAS = r"""
import ctypes, ctypes.util, os, runpy, sys, tempfile, threading
if sys.argv[1] == "with-config":
    runpy.run_path(sys.argv[2])
allocated, measured = threading.Barrier(9), threading.Barrier(9)
def allocate():
    held = [bytearray(200_000) for _ in range(4)]
    allocated.wait()
    measured.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads:
    thread.start()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.NamedTemporaryFile(suffix=".xml") as out:
    allocated.wait()
    handle = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, handle)
    libc.fclose(handle)
    print(open(out.name).read().count("<heap nr="))
    measured.wait()
for thread in threads:
    thread.join()
"""


def arenas_in_use(*args: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", COUNT_ARENAS, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")
def test_gunicorn_config_limits_malloc_arenas():
    assert arenas_in_use("without") > 2  # the count sees a thread's own arena
    assert arenas_in_use("with-config", str(ROOT / "gunicorn.conf.py")) <= 2


# A password check (scrypt, 8 MiB, as the app's PASSWORD_HASH_METHOD), then four 3 MiB
# blocks held and freed: how many MB the process keeps of them.
RETAINED_AFTER_PASSWORD_CHECK = r"""
import hashlib, re, runpy, sys
if sys.argv[1] == "with-config":
    runpy.run_path(sys.argv[2])
def rss_mb():
    return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024
hashlib.scrypt(b"password", salt=b"salt" * 4, n=8192, r=8, p=10, maxmem=2**26, dklen=64)
before = rss_mb()
held = [bytearray(3 << 20) for _ in range(4)]
del held
print(rss_mb() - before)
"""


def retained_mb(*args: str) -> float:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"}
    }
    done = subprocess.run(
        [sys.executable, "-c", RETAINED_AFTER_PASSWORD_CHECK, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(done.stdout.strip())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc thresholds are glibc's")
def test_gunicorn_config_gives_back_large_blocks_after_a_password_check():
    assert retained_mb("without") > 8  # glibc's threshold rose to scrypt's 8 MiB
    assert retained_mb("with-config", str(ROOT / "gunicorn.conf.py")) < 2
