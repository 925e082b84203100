"""Every built-in scenario against the reference integration over several seeds: is it clean, and how long does it take?

The slow test suite runs each scenario over five seeds at a raised speed; this runs more seeds at
any speed and keeps the figures, so a flaky pass shows up as a row, not as a one-off CI failure.

Usage: .venv/bin/python bench/library_seeds.py [--seeds 5] [--speed-factor 1] [scenario ...]
Writes bench/results/library_seeds.md with the command, the machine and one row per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import scenarios

ROOT = Path(__file__).resolve().parents[1]
REHEARSE = str(Path(sys.executable).with_name("rehearse"))
RUN_DEADLINE_S = 900


def run_once(name: str, seed: int, speed_factor: float) -> str:
    speed = scenarios.load(name).speed * speed_factor
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run(
            [REHEARSE, "run", name, "--seed", str(seed), "--speed", f"{speed:g}", "--out", out, "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=RUN_DEADLINE_S,
        )
        wall = time.perf_counter() - started
        verdicts = list(Path(out).glob("*/verdict.json"))
        if not verdicts:
            return f"| {name} | {seed} | {speed:g} | {wall:.0f} s | exit {done.returncode} | no verdict | |"
        verdict = json.loads(verdicts[0].read_text())
    failing = [c["name"] for c in verdict["checkers"] if c["findings"]]
    metrics = verdict["metrics"]
    return (
        f"| {name} | {seed} | {speed:g} | {wall:.0f} s | exit {done.returncode} | "
        f"{metrics.get('orders_placed', 0)} orders | {', '.join(failing) or 'clean'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--speed-factor", type=float, default=1.0, help="multiplies each scenario's own speed")
    parser.add_argument("names", nargs="*", help="scenarios (default: the whole library)")
    options = parser.parse_args()
    names = options.names or scenarios.builtin_names()
    rows = []
    for name in names:
        for seed in range(1, options.seeds + 1):
            rows.append(run_once(name, seed, options.speed_factor))
            print(rows[-1], flush=True)
    lines = [
        "# The library over several seeds (reference integration)",
        "",
        f"- command: `.venv/bin/python bench/library_seeds.py {' '.join(sys.argv[1:])}`".rstrip(),
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, {platform.machine()},"
        f" Python {platform.python_version()}",
        "- wall time is the whole command: start-up, trading, drain, verdict; 'clean' means no checker found anything",
        "",
        "| scenario | seed | speed | wall | exit | workload | checkers with findings |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    (ROOT / "bench" / "results" / "library_seeds.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
