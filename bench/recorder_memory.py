"""Whether memory stays flat while the Recorder takes a million exchanges, sampled along the way.

Every exchange goes through ``ExchangeCapture`` exactly as a mock's request does (scope, receive and send,
kept headers, business keys, timing), around a small ASGI app that answers like mock WMS creating an
order: a unique request and answer body per exchange (about 0.6 and 1.2 KB). Nothing paces the appends
unless ``--rate`` says so, so the Recorder's writer is the slowest part: the worst case for memory. The
process's resident set (``VmRSS`` in /proc/self/status) and the writer's backlog are sampled every
``--every`` exchanges; the peak is ``VmHWM``. At the end the History is opened and its exchanges counted.

``--unbounded`` lifts the Recorder's backlog bound (``_BACKLOG``), which shows what an unpaced caller did
before there was one: use it with fewer exchanges (it grows by about 2 KB per exchange held).

    .venv/bin/python bench/recorder_memory.py [--exchanges 1000000] [--every 50000] [--rate 0]

Writes bench/results/recorder_memory.md (or recorder_memory_unbounded.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import recorder as recorder_module
from harness.activity import Activity
from harness.capture import ExchangeCapture, tag
from harness.clock import Clock
from harness.history import History
from harness.recorder import Recorder
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = [{"reference_id": f"SKU-{n:05d}", "quantity": 1 + n % 3} for n in range(3)]


def request_body(n: int) -> bytes:
    return json.dumps(
        {
            "reference_id": f"BENCH-{n:09d}",
            "order_number": f"ORD-{n:09d}",
            "shipping_method": "Standard",
            "recipient": {
                "name": f"Customer {n % 997}",
                "email": f"customer{n % 997}@example.com",
                "address": {
                    "address1": f"{n % 9999} Main St",
                    "city": "Springfield",
                    "state": "IL",
                    "zip_code": "62701",
                },
            },
            "products": PRODUCTS,
        }
    ).encode()


def response_body(n: int) -> bytes:
    return json.dumps(
        {
            "id": n,
            "created_date": "2026-11-26T04:00:00Z",
            "reference_id": f"BENCH-{n:09d}",
            "order_number": f"ORD-{n:09d}",
            "status": "Processing",
            "type": "DTC",
            "channel": {"id": 100, "name": "rehearse"},
            "shipping_method": "Standard",
            "recipient": {"name": f"Customer {n % 997}", "email": f"customer{n % 997}@example.com"},
            "products": [{"id": 1000 + i, **p, "sku": p["reference_id"]} for i, p in enumerate(PRODUCTS)],
            "shipments": [
                {
                    "id": 5000 + n,
                    "order_id": n,
                    "reference_id": f"BENCH-{n:09d}",
                    "status": "Processing",
                    "location": {"id": 1, "name": "WH-EAST"},
                    "products": [{"id": 1000 + i, "reference_id": p["reference_id"]} for i, p in enumerate(PRODUCTS)],
                }
            ],
        }
    ).encode()


async def order_app(scope: Any, receive: Any, send: Any) -> None:
    """Answers like mock WMS creating an order; tags the exchange with its reference id as a handler does."""
    body = (await receive())["body"]
    n = int(json.loads(body)["reference_id"].removeprefix("BENCH-"))
    tag(scope, f"BENCH-{n:09d}")
    answer = response_body(n)
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def memory() -> dict[str, int]:
    """Resident set now and its peak so far, in kB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


async def push(capture: ExchangeCapture, recorder: Recorder, args: argparse.Namespace) -> list[dict[str, Any]]:
    samples = [{"exchanges": 0, "seconds": 0.0, "backlog": 0, **memory()}]
    started = time.perf_counter()
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", b"Bearer rehearse-wms-personal-access-token"),
        (b"shipbob_channel_id", b"100"),
        (b"content-type", b"application/json"),
    ]
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for n in range(1, args.exchanges + 1):
        body = request_body(n)

        async def receive(body: bytes = body) -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        scope = {"type": "http", "method": "POST", "path": "/1.0/order", "query_string": b"", "headers": headers}
        await capture(scope, receive, send)
        sent.clear()
        if args.rate:
            ahead = n / args.rate - (time.perf_counter() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        if n % args.every == 0:
            samples.append(
                {
                    "exchanges": n,
                    "seconds": time.perf_counter() - started,
                    "backlog": recorder._queue.qsize(),
                    **memory(),
                }
            )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=50_000, help="exchanges between samples")
    parser.add_argument("--rate", type=float, default=0.0, help="exchanges per second (0: as fast as taken)")
    parser.add_argument("--unbounded", action="store_true", help="lift the Recorder's backlog bound")
    args = parser.parse_args()
    if args.unbounded:
        recorder_module._BACKLOG = sys.maxsize
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite"
        recorder = Recorder(path)
        world = World(Clock(None), 1)
        capture = ExchangeCapture(order_app, system="wms", world=world, recorder=recorder, activity=Activity())
        samples = asyncio.run(push(capture, recorder, args))
        appended = samples[-1]["seconds"]
        closing = time.perf_counter()
        recorder.close(timeout=3600)
        total = appended + time.perf_counter() - closing
        after_close = memory()
        size = path.stat().st_size + sum(p.stat().st_size for p in Path(folder).glob("history.sqlite-*"))
        with History(path) as history:
            counted = history.count_exchanges()
            last = next(history.exchanges(business_key=f"BENCH-{args.exchanges:09d}"))
            intact = last.request_json()["reference_id"] == f"BENCH-{args.exchanges:09d}" and last.status == 201
    load_after = os.getloadavg()[0]
    start_rss = samples[0]["VmRSS"] / 1024
    rows = [
        f"| {s['exchanges']:,} | {s['seconds']:.0f} s | {s['VmRSS'] / 1024:,.0f} MB |"
        f" {(s['VmRSS'] / 1024 - start_rss):+,.0f} MB | {s['backlog']:,} |"
        for s in samples
    ]
    flags = f"--exchanges {args.exchanges} --every {args.every} --rate {args.rate:g}" + (
        " --unbounded" if args.unbounded else ""
    )
    lines = [
        "# Memory over a million recorded exchanges" if not args.unbounded else "# Memory without a backlog bound",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()}; load average (1 min) before / after:"
        f" {load_before:.2f} / {load_after:.2f} (the machine is shared with other engineers' runs).",
        "",
        "```sh",
        f".venv/bin/python bench/recorder_memory.py {flags}",
        "```",
        "",
        "Each exchange through `ExchangeCapture` around an app answering like mock WMS creating an order"
        f" (request {len(request_body(1))} B, answer {len(response_body(1))} B, unique per exchange), into a"
        " Recorder writing a History to SQLite, "
        + ("as fast as the Recorder takes them." if not args.rate else f"paced at {args.rate:g} per second.")
        + (" The Recorder's backlog bound was lifted (`--unbounded`)." if args.unbounded else ""),
        "",
        f"- peak resident set (VmHWM): **{samples[-1]['VmHWM'] / 1024:,.0f} MB**; after close:"
        f" {after_close['VmRSS'] / 1024:,.0f} MB",
        f"- appended in {appended:.0f} s ({args.exchanges / appended:,.0f}/s), all committed after"
        f" {total:.0f} s ({args.exchanges / total:,.0f}/s)",
        f"- History: {counted:,} exchanges read back, the last one's body and status intact: {intact};"
        f" file {size / 1e9:.2f} GB ({size / max(counted, 1):,.0f} B per exchange)",
        "",
        "| exchanges appended | elapsed | RSS | RSS - start | writer backlog |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    name = "recorder_memory_unbounded.md" if args.unbounded else "recorder_memory.md"
    out = ROOT / "bench" / "results" / name
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
