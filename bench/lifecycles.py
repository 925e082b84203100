"""How many complete order lifecycles per wall second the reference integration and the mocks sustain.

A lifecycle is an order from its placement in Salesforce to the integration telling Salesforce it was
delivered: captured and booked in the ERP (W1), released to the warehouse (W3), shipped, fulfilled and
invoiced in the ERP and shown as shipped in Salesforce (W4), tracked to its delivery (W5). The scenario,
bench/scenarios/lifecycles.yaml, takes the warehouse's and the post's own pace out of the way (a floor that
never queues, parcels delivered within hours) and is run by the real command line, ``rehearse run``, at a
speed high enough that simulated time never waits on the wall: every order is placed within the first
fraction of a second, so what sets the pace is the integration (its own process) and the harness (one
process serving the four mocks, capturing, recording and delivering webhooks).

From the run's History: the wall time each order was placed (its ``order.placed`` event) and the wall time
of the integration's request that set its Salesforce ``Fulfillment_Status__c`` to ``Shipped`` and then to
``Delivered``. The figure is delivered orders over the wall span from the first placement to the last
delivery, and, less sensitive to the ramp at either end, the rate between the 10th and the 90th delivery
percentile. The CPU each process used over that span (from /proc, sampled every 0.25 s) says which is the
bound: a process at ~100% of a core is saturated. ``--profile DIR`` runs both under cProfile.

    .venv/bin/python bench/lifecycles.py [--orders 1000] [--speed 36000] [--profile DIR]

Writes bench/results/lifecycles.md (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REHEARSE = str(Path(sys.executable).with_name("rehearse"))
SCENARIO = ROOT / "bench" / "scenarios" / "lifecycles.yaml"
SAMPLE_EVERY = 0.25
DEADLINE = 900.0
"""Seconds the whole run may take before it is stopped."""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


class CpuSampler(threading.Thread):
    """Samples the CPU time of the harness process and of the SUT (its child) until stopped."""

    def __init__(self, harness: int) -> None:
        super().__init__(daemon=True)
        self.harness = harness
        self.samples: list[tuple[float, float, float]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_EVERY):
            try:
                sut = sum(cpu_seconds(child) for child in children(self.harness))
                self.samples.append((time.time(), cpu_seconds(self.harness), sut))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue

    def share(self, start: float, end: float) -> tuple[float, float]:
        """Cores' worth of CPU the harness and the SUT used between two wall instants (nearest samples)."""
        inside = [s for s in self.samples if start - SAMPLE_EVERY <= s[0] <= end + SAMPLE_EVERY]
        if len(inside) < 2:
            return float("nan"), float("nan")
        (t0, h0, s0), (t1, h1, s1) = inside[0], inside[-1]
        return (h1 - h0) / (t1 - t0), (s1 - s0) / (t1 - t0)


def run(args: argparse.Namespace, out: Path) -> tuple[float, CpuSampler, Path]:
    command = [REHEARSE, "run", str(args.scenario), "--speed", f"{args.speed:g}", "--out", str(out), "--quiet"]
    command += ["--set", f"workload.orders.count={args.orders}"]
    if args.profile:
        folder = Path(args.profile).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        # uvicorn re-raises the SIGTERM it caught once it has shut down; a handler that exits instead lets
        # cProfile write its file. A long grace, too: it writes nothing if SIGKILL comes first.
        profiled = (
            "import cProfile, signal, sys; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0));"
            ' cProfile.run(\'import runpy; runpy.run_module("integrations.reference", run_name="__main__")\','
            f" {str(folder / 'sut.prof')!r})"
        )
        sut = f"{shlex.quote(sys.executable)} -c {shlex.quote(profiled)}"
        config = folder / "rehearse.toml"
        config.write_text(f"[sut]\ncommand = {json.dumps(sut)}\nstop_grace = 120\n")
        profiler = [sys.executable, "-m", "cProfile", "-o", str(folder / "harness.prof")]
        command = [*profiler, *command, "--config", str(config)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = CpuSampler(process.pid)
    sampler.start()
    try:
        _, errors = process.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=60)
        raise SystemExit(f"the run did not finish within {DEADLINE:g} s") from None
    finally:
        sampler.stopping.set()
        sampler.join(timeout=10)
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"rehearse run exited with {process.returncode}: {errors.decode()[-2000:]}")
    return wall, sampler, next(out.glob("*/history.sqlite")).parent


def fulfilment_updates(db: sqlite3.Connection) -> dict[str, dict[str, float]]:
    """Per Salesforce order id, the wall time the integration first set each ``Fulfillment_Status__c``."""
    seen: dict[str, dict[str, float]] = {}
    rows = db.execute(
        "SELECT path, request_body, wall_time, status FROM exchanges"
        " WHERE system = 'salesforce' AND direction = 'sut->mock' AND method = 'PATCH' ORDER BY id"
    )
    for path, body, wall, status in rows:
        if status is None or status >= 300 or not body:
            continue
        payload = json.loads(body)
        if path.endswith("/composite/sobjects"):
            records = [r for r in payload.get("records", []) if r.get("attributes", {}).get("type") == "Order"]
        elif "/sobjects/Order/" in path:
            records = [{**payload, "id": path.rpartition("/")[2]}]
        else:
            continue
        for record in records:
            value = record.get("Fulfillment_Status__c")
            if value:
                seen.setdefault(record["id"], {}).setdefault(value, wall)
    return seen


def percentile(values: list[float], share: float) -> float:
    return values[min(int(len(values) * share), len(values) - 1)]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        wall, sampler, run_dir = run(args, Path(scratch))
        verdict = json.loads((run_dir / "verdict.json").read_text())
        db = sqlite3.connect(run_dir / "history.sqlite")
        placed = sorted(w for (w,) in db.execute("SELECT wall_time FROM events WHERE kind = 'order.placed'"))
        updates = fulfilment_updates(db)
        final = json.loads(db.execute("SELECT state FROM final_state WHERE system = 'salesforce'").fetchone()[0])
        exchanges = db.execute("SELECT count(*) FROM exchanges").fetchone()[0]
        db.close()
    delivered = sorted(u["Delivered"] for u in updates.values() if "Delivered" in u)
    shipped = sorted(u["Shipped"] for u in updates.values() if "Shipped" in u)
    orders = final.get("records", {}).get("Order", {}).values()
    start, end = placed[0], delivered[-1] if delivered else placed[-1]
    harness_cpu, sut_cpu = sampler.share(start, end)
    busy_end = shipped[-1] if shipped else end
    busy_harness, busy_sut = sampler.share(start, busy_end)
    p10, p90 = (percentile(delivered, 0.1), percentile(delivered, 0.9)) if delivered else (end, end)
    return {
        "wall": wall,
        "placed": len(placed),
        "delivered": len(delivered),
        "delivered_final": sum(1 for o in orders if o.get("Fulfillment_Status__c") == "Delivered"),
        "shipped": len(shipped),
        "span": end - start,
        "rate": len(delivered) / (end - start) if delivered else 0.0,
        "steady": 0.8 * len(delivered) / (p90 - p10) if p90 > p10 else float("nan"),
        "shipped_rate": len(shipped) / (shipped[-1] - start) if shipped else 0.0,
        "first_delivery": delivered[0] - start if delivered else float("nan"),
        "exchanges": exchanges,
        "harness_cpu": harness_cpu,
        "harness_cpu_per_order": harness_cpu * (end - start) / max(len(delivered), 1),
        "sut_cpu_per_order": sut_cpu * (end - start) / max(len(delivered), 1),
        "busy_harness": busy_harness,
        "busy_sut": busy_sut,
        "busy_span": busy_end - start,
        "sut_cpu": sut_cpu,
        "passed": verdict["passed"],
        "drained": verdict["metrics"].get("drained"),
        "load": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--speed", type=float, default=600.0, help="simulated seconds per wall second")
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--profile", help="folder for harness.prof and sut.prof (cProfile; slows both)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "lifecycles.md")
    args = parser.parse_args()
    r = measure(args)
    shown = f"--orders {args.orders} --speed {args.speed:g}" + (f" --profile {args.profile}" if args.profile else "")
    if args.scenario != SCENARIO:
        shown += f" --scenario {args.scenario}"
    lines = [
        "# Complete order lifecycles per second (reference integration + mocks)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()}; load average (1 min) before / after:"
        f" {r['load'][0]:.2f} / {r['load'][1]:.2f} (shared machine: other engineers' runs load it).",
        "",
        "```sh",
        f".venv/bin/python bench/lifecycles.py {shown}",
        "```",
        "",
        f"`rehearse run bench/scenarios/lifecycles.yaml --speed {args.speed:g} --set"
        f" workload.orders.count={args.orders}`: {r['wall']:.1f} s for the whole command; verdict"
        f" {'passed' if r['passed'] else 'FAILED'}, drained: {r['drained']}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| orders placed / shown Shipped / shown Delivered (final state) | {r['placed']} / {r['shipped']} /"
        f" {r['delivered']} ({r['delivered_final']}) |",
        f"| wall span, first placement to last delivery | {r['span']:.1f} s |",
        f"| **lifecycles per second** (delivered / span) | **{r['rate']:.1f}** |",
        f"| between the 10th and 90th delivery percentile | {r['steady']:.1f} /s |",
        f"| orders shown Shipped per second (to the last) | {r['shipped_rate']:.1f} |",
        f"| first delivery after the first placement | {r['first_delivery']:.1f} s |",
        f"| exchanges recorded (all systems, both directions) | {r['exchanges']}"
        f" ({r['exchanges'] / max(r['placed'], 1):.1f} per order) |",
        f"| CPU over the span: harness process / SUT process | {r['harness_cpu']:.0%} / {r['sut_cpu']:.0%} of a core |",
        f"| CPU from the first placement to the last Shipped ({r['busy_span']:.1f} s): harness / SUT |"
        f" {r['busy_harness']:.0%} / {r['busy_sut']:.0%} of a core |",
        f"| CPU per delivered lifecycle over the span: harness / SUT | {r['harness_cpu_per_order'] * 1000:.0f} ms /"
        f" {r['sut_cpu_per_order'] * 1000:.0f} ms |",
        f"| ceiling implied (one core per process, the busier one saturated) |"
        f" {1 / max(r['harness_cpu_per_order'], r['sut_cpu_per_order'], 1e-9):.0f} lifecycles/s |",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
