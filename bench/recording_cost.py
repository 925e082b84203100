"""What recording costs a mock's throughput: the same mock and mix with recording on and off, in one run.

Each mock is served by bench/peer.py as ``harness/runner.py`` serves it, in three ways, and driven by the
same generator with the same mix:

- ``on``: as in a rehearsal, ``ExchangeCapture`` around the mock, a Recorder writing a History to SQLite;
- ``capture-only``: the capture still builds every Exchange, but hands it (and the mocks' domain events) to a
  recorder that keeps nothing, so the difference from ``on`` is the Recorder's own cost (queue, writer thread,
  serialisation, SQLite);
- ``off``: no capture, the same null recorder: the mock with recording taken away.

The three run back to back, ``--rounds`` times, the order turned round each round so that a change in the
machine's load weighs on every variant alike; each variant's figure is its requests over its wall time,
summed over the rounds. The cost is ``1 - on / off``.

    .venv/bin/python bench/recording_cost.py [--systems wms,carrier] [--rounds 2] [--requests 4000]

Writes bench/results/recording_cost.md.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_systems import SYSTEMS
from peer import RECORDING, ROOT, command_line, measure_mock, parser


def measure(system: Any, args: Any) -> dict[str, dict[str, Any]]:
    """Every variant, ``args.rounds`` times, alternating the order; totals per variant."""
    totals: dict[str, dict[str, Any]] = {
        name: {"requests": 0, "wall": 0.0, "cpu": 0.0, "errors": 0, "p50": [], "recorded": []} for name in RECORDING
    }
    for round_ in range(args.rounds):
        order = RECORDING if round_ % 2 == 0 else tuple(reversed(RECORDING))
        for recording in order:
            with tempfile.TemporaryDirectory() as scratch:
                result = measure_mock(system, args, Path(scratch), recording)
            total = totals[recording]
            total["requests"] += result["requests"]
            total["wall"] += result["wall"]
            total["errors"] += result["errors"]
            total["cpu"] += result["server_cpu"]
            total["p50"].append(result["p50_ms"])
            total["recorded"].append(result.get("recorded", {}).get("exchange", 0))
            cpu_ms = 1000 * result["server_cpu"] / max(result["requests"], 1)
            print(f"{system.name} {recording}: {result['rps']:.0f} req/s, {cpu_ms:.2f} server CPU ms/req", flush=True)
    for total in totals.values():
        total["rps"] = total["requests"] / total["wall"] if total["wall"] else 0.0
        total["cpu_ms"] = 1000 * total["cpu"] / max(total["requests"], 1)
    return totals


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--systems", default="wms,carrier,salesforce,erp", help=f"comma-separated, of {', '.join(SYSTEMS)}")
    p.add_argument("--rounds", type=int, default=2, help="times each variant runs, the order alternating")
    # A cap every variant reaches well before the deadline: each then answers the same requests, so a mock whose
    # work grows with its data (WMS lists scan every order) does the same work in all three.
    p.set_defaults(requests=4000, seconds=30.0)
    args = p.parse_args()
    chosen = [SYSTEMS[name] for name in args.systems.split(",")]
    command = command_line(__file__, args) + f" --systems {args.systems} --rounds {args.rounds}"
    load_before = os.getloadavg()[0]
    rows = []
    for system in chosen:
        totals = measure(system, args)
        on, capture, off = (totals[name] for name in RECORDING)
        rows.append(
            f"| {system.title} | {off['rps']:.0f} / {capture['rps']:.0f} / {on['rps']:.0f} |"
            f" {1 - on['rps'] / off['rps']:.1%} |"
            f" {off['cpu_ms']:.2f} / {capture['cpu_ms']:.2f} / {on['cpu_ms']:.2f} |"
            f" {1 - off['cpu_ms'] / on['cpu_ms']:.1%} ({1 - off['cpu_ms'] / capture['cpu_ms']:.1%} capture,"
            f" {off['cpu_ms'] / capture['cpu_ms'] - off['cpu_ms'] / on['cpu_ms']:.1%} Recorder) |"
            f" {' / '.join(format(totals[n]['p50'][0], '.0f') for n in ('off', 'capture-only', 'on'))} ms |"
            f" {on['errors'] + capture['errors'] + off['errors']} |"
        )
    load_after = os.getloadavg()[0]
    lines = [
        "# What recording costs a mock's throughput",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()}, loopback only; generator and servers share"
        f" the cores. Load average (1 min) before / after: {load_before:.2f} / {load_after:.2f}"
        " (other engineers' test runs were loading the machine).",
        "",
        "```sh",
        command,
        "```",
        "",
        "Each mock served by bench/peer.py as the runner serves it, with the mix of its `*_vs_wiremock.py`:"
        " `off` = no ExchangeCapture, the mocks' domain events to a recorder that keeps nothing; `capture-only` ="
        " ExchangeCapture building every Exchange, handed to that null recorder; `on` = ExchangeCapture and the"
        f" Recorder writing a History to SQLite, as in a rehearsal. Each variant ran {args.rounds} time(s), each"
        f" until {args.requests} requests (so that all do the same work) or {args.seconds:g} s, after a"
        f" {args.warmup}-request warm-up, the order of the three turned round each round;"
        " req/s is requests over wall time summed over the rounds.",
        "",
        "Two figures per variant. Throughput (requests over wall time) is what the target names, but the"
        " machine's load moves it by more than the difference sought. Server CPU per request (user + system"
        " time of the mock's process, every thread, read from /proc over the measured window, divided by the"
        " requests it answered) moves much less with load, and since each mock is one Python process, its"
        " throughput with a core to itself is the inverse of it: the cost in throughput terms is"
        " 1 - CPU(off) / CPU(on),"
        " split into the capture's share and the Recorder's.",
        "",
        "| mock | req/s off / capture-only / on | throughput cost (1 - on/off) |"
        " server CPU ms/req off / capture-only / on | CPU cost (1 - off/on) | p50 off / capture / on (1st round) |"
        " 4xx/5xx |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    out = ROOT / "bench" / "results" / "recording_cost.md"
    out.write_text("\n".join(lines))
    print(out.read_text())


if __name__ == "__main__":
    main()
