"""Self-conformance at volume: schemathesis against every mock from its committed contract.

The same runner as tests/contracts/test_mock_conformance.py (harness/contracts/conformance.py), with
enough generated cases per operation that each mock gets at least ``--cases`` of them, plus
``--stateful`` stateful scenarios along the spec's links. Deterministic (hypothesis derandomized):
the same code and contract give the same cases.

Usage: .venv/bin/python bench/contract_conformance.py [--cases 1000] [--stateful 50] [--systems ...]
Writes bench/results/contract_conformance.md with the command, the machine and the figures.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.contracts.conformance import CHECKS, Tally, conform, rigs
from harness.contracts.documents import SYSTEMS, committed

RESULTS = Path(__file__).resolve().parent / "results" / "contract_conformance.md"


def operations(system: str) -> int:
    return sum(len(methods) for methods in committed(system)["paths"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="generated cases per mock, at least")
    parser.add_argument("--stateful", type=int, default=50, help="stateful scenarios per mock")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    args = parser.parse_args()
    systems = [s for s in args.systems.split(",") if s]
    rows: list[tuple[Tally, int, float]] = []
    with rigs() as built:
        for system in systems:
            ops = operations(system)
            per_operation = math.ceil(args.cases / ops)
            started = time.perf_counter()
            tally = conform(system, built[system], examples=per_operation, stateful_scenarios=args.stateful)
            elapsed = time.perf_counter() - started
            rows.append((tally, ops, elapsed))
            print(tally.report(), f"({elapsed:.1f} s)", flush=True)
    command = "python bench/contract_conformance.py " + " ".join(sys.argv[1:])
    lines = [
        "# Contract self-conformance",
        "",
        f"`{command.strip()}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.platform()},"
        f" {os.cpu_count()} CPUs, schemathesis in process (ASGI), derandomized.",
        "",
        "Checks: " + ", ".join(f"`{c.__name__}`" for c in CHECKS) + ".",
        "",
        "A stateful run is cut short when a replayed scenario takes another path on the state earlier ones"
        " left (hypothesis then stops it); the steps before count.",
        "",
        "| mock | operations | cases | stateful steps | wall s | cases/s | failures |",
        "|---|---|---|---|---|---|---|",
    ]
    for tally, ops, elapsed in rows:
        total = tally.cases + tally.stateful_steps
        failures = ", ".join(f"{name} {count}" for name, count in tally.failures.most_common()) or "none"
        steps = f"{tally.stateful_steps}{' (cut short)' if tally.stateful_cut_short else ''}"
        lines.append(
            f"| {tally.system} | {ops} | {tally.cases} | {steps} | {elapsed:.1f} | {total / elapsed:.0f} | {failures} |"
        )
    examples = [tally for tally, _, _ in rows if tally.failures]
    if examples:
        lines += ["", "## Failures (up to three examples per check)", ""]
        for tally in examples:
            lines += ["```", tally.report(), "```", ""]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
