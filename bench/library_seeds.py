"""Every library scenario against the reference integration over several seeds: clean every time, and how long?

One seed per scenario, as the library test runs, says little about a scenario drawn from a seed:
a checker that cries wolf or a race in the integration shows up on some seeds only. This runs each
scenario over seeds 1..N at small scale (``harness/small_scale.py``, what CI's seeds test runs) or
at full scale (the scenario's own file), and keeps the figures.

Usage: .venv/bin/python bench/library_seeds.py [--seeds 5] [--scale small|full] [--only NAME ...] [--jobs 1]
Writes bench/results/library_seeds.md (``--scale full``: ``_full``, ``--only``: ``_<name>`` appended) with the command,
the machine, one row per scenario and the findings of every failing seed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness import small_scale

ROOT = Path(__file__).resolve().parents[1]
REHEARSE = str(Path(sys.executable).with_name("rehearse"))
RUN_DEADLINE_S = 900


@dataclass(frozen=True)
class SeedRun:
    name: str
    seed: int
    wall: float
    code: int
    orders: int
    findings: tuple[str, ...]
    """What failed, one line each: ``checker: invariant (count)``, or why there is no verdict."""
    unexercised: str | None


def run_once(name: str, seed: int, scale: str, keep: Path | None) -> SeedRun:
    command = [REHEARSE, "run", name, "--seed", str(seed), *small_scale.set_arguments(name, scale)]
    folder = contextlib.nullcontext(tempfile.mkdtemp(dir=keep)) if keep else tempfile.TemporaryDirectory()
    with folder as out:
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [*command, "--out", out, "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=RUN_DEADLINE_S
            )
        except subprocess.TimeoutExpired:
            return SeedRun(
                name, seed, time.perf_counter() - started, -1, 0, (f"no verdict in {RUN_DEADLINE_S} s",), None
            )
        wall = time.perf_counter() - started
        run_dirs = [path.parent for path in Path(out).glob("*/verdict.json")]
        if not run_dirs:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            return SeedRun(name, seed, wall, done.returncode, 0, (f"no verdict: {tail[0]}",), None)
        verdict = json.loads((run_dirs[0] / "verdict.json").read_text())
        findings = tuple(
            f"{group['checker']}: {group['invariant']} ({group['count']})"
            for group in verdict["findings"]
            if group["severity"] != "warning"
        )
        if verdict.get("error"):
            findings += (f"error: {verdict['error']}",)
        missed = small_scale.unexercised(name, run_dirs[0]) if scale == "small" else None
    return SeedRun(name, seed, wall, done.returncode, int(verdict["metrics"].get("orders_placed", 0)), findings, missed)


def reported(run: SeedRun) -> SeedRun:
    print(
        f"{run.name} seed {run.seed}: exit {run.code}, {run.wall:.0f} s, {run.orders} orders", *run.findings, flush=True
    )
    return run


def row(name: str, runs: list[SeedRun]) -> str:
    passed = [r for r in runs if r.code == 0 and not r.findings]
    walls = [r.wall for r in runs]
    orders = sorted(r.orders for r in runs)
    missed = [f"seed {r.seed}" for r in runs if r.unexercised]
    return (
        f"| {name} | {len(passed)}/{len(runs)} | {', '.join(str(r.seed) for r in runs if r not in passed) or '-'} |"
        f" {min(walls):.0f} / {statistics.median(walls):.0f} / {max(walls):.0f} s |"
        f" {orders[0]}-{orders[-1]} | {', '.join(missed) or '-'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N of each scenario")
    parser.add_argument("--scale", choices=("small", "full"), default="small")
    parser.add_argument("--only", action="append", help="a scenario (repeatable); default: the whole library")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (the machine has 2 cores: 1 or 2)")
    parser.add_argument("--keep", type=Path, help="keep every run folder under this directory (to read a failure)")
    options = parser.parse_args()
    names = options.only or list(small_scale.SMALL)
    plan = [(name, seed) for name in names for seed in range(1, options.seeds + 1)]
    started = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        runs = list(pool.map(lambda job: reported(run_once(*job, options.scale, options.keep)), plan))
    failing = [r for r in runs if r.findings or r.code != 0 or r.unexercised]
    lines = [
        f"# The library over {options.seeds} seeds at {options.scale} scale (reference integration)",
        "",
        f"- command: `.venv/bin/python bench/library_seeds.py {' '.join(sys.argv[1:])}`".rstrip(),
        f"- when: {started:%Y-%m-%d %H:%M}-{datetime.now(UTC):%H:%M} UTC; machine: {os.cpu_count()} cores,"
        f" {platform.machine()}, Python {platform.python_version()}; {options.jobs} run(s) at a time",
        "- wall time is the whole `rehearse run`: start-up, trading, drain, verdict; passed = exit 0 and no finding",
        "- not shown: the run passed but did not do what its small scale must still show (`harness/small_scale.py`)",
        "",
        "| scenario | passed | failing seeds | wall min / median / max | orders placed | not shown |",
        "|---|---|---|---|---|---|",
        *(row(name, [r for r in runs if r.name == name]) for name in names),
        "",
    ]
    if failing:
        lines += ["## Failing seeds", ""]
        lines += [
            f"- {r.name} seed {r.seed} (exit {r.code}): {'; '.join(r.findings) or '-'}"
            + (f"; not shown: {r.unexercised}" if r.unexercised else "")
            for r in failing
        ]
        lines.append("")
    suffix = ("" if options.scale == "small" else "_full") + "".join(f"_{name}" for name in options.only or ())
    (ROOT / "bench" / "results" / f"library_seeds{suffix}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
