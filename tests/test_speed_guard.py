"""Speed can only slip on purpose: each path's cost as a ratio to its floor measured in the
same run (bench/guard.py), against bench/guard_baseline.json. A ratio more than 1.5 times
its baseline fails; every ratio is printed. A slower path that is worth it is a commit
that updates the baseline (`python bench/guard.py --update`) and says why."""

from __future__ import annotations

from bench import guard


def test_no_path_is_slower_than_its_baseline_allows(capsys):
    found, baseline, over, table = guard.run()
    with capsys.disabled():
        print("\nSpeed guard (CPU time ratios, bench/guard.py):\n" + table)
    assert baseline, "bench/guard_baseline.json is missing: python bench/guard.py --update"
    assert set(found) >= set(baseline), "a ratio of the baseline is no longer measured"
    assert not over, f"slower than bench/guard_baseline.json allows: {', '.join(over)}\n{table}"
