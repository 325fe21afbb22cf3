"""The bench's start-up figure is read as production installs the app: its modules compiled
once (`make install`, deploy/Dockerfile), and the tree left as it was after."""

from pathlib import Path

from bench import run_all

ROOT = Path(__file__).resolve().parent.parent


def caches() -> set[Path]:
    return {path for path in (ROOT / "diary").rglob("__pycache__")} | (
        {ROOT / "__pycache__"} if (ROOT / "__pycache__").exists() else set()
    )


def test_start_up_is_read_with_the_modules_compiled_then_the_tree_left_as_it_was():
    before = caches()

    with run_all.compiled_as_installed():
        compiled = list((ROOT / "diary" / "__pycache__").glob("models.*.pyc"))
        assert compiled, "the app's modules are compiled while the start-up is read"
        assert list((ROOT / "__pycache__").glob("app.*.pyc"))

    assert caches() == before
