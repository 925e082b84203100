"""Wall time of `rehearse run smoke` against the reference integration, at default and high speed.

Usage: .venv/bin/python bench/smoke.py
Writes bench/results/smoke.md with the commands, the machine and the figures.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REHEARSE = str(Path(sys.executable).with_name("rehearse"))


def timed(*args: str) -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run([REHEARSE, "run", *args, "--out", out, "--quiet"], check=True, cwd=ROOT, capture_output=True)
        wall = time.perf_counter() - started
        verdict = json.loads(next(Path(out).glob("*/verdict.json")).read_text())
    return wall, verdict


def main() -> None:
    rows = []
    for args in (("smoke",), ("smoke", "--speed", "600"), ("smoke-duplicates", "--speed", "600")):
        wall, verdict = timed(*args)
        metrics = verdict["metrics"]
        assert isinstance(metrics, dict)
        rows.append(
            f"| `rehearse run {' '.join(args)}` | {wall:.1f} s | {metrics['sim_seconds']:.0f} s | "
            f"{metrics['exchanges']} | {'pass' if verdict['passed'] else 'FAIL'} |"
        )
    lines = [
        "# Wall time of the smoke scenario (reference integration)",
        "",
        "- command: `.venv/bin/python bench/smoke.py`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, {platform.machine()},"
        f" Python {platform.python_version()}",
        "- wall time is the whole command: start-up, serving, SUT start, trading, drain (2 s quiet), verdict",
        "",
        "| run | wall | simulated | exchanges | verdict |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    (ROOT / "bench" / "results" / "smoke.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
