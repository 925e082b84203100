"""How many exchanges per second the Recorder takes on its hot path and sustains to disk.

Usage: .venv/bin/python bench/recorder.py [--exchanges N]
Writes bench/results/recorder.md with the command, the machine and the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.recorder import DIRECTION_TO_MOCK, Exchange, Recorder

REQUEST = json.dumps(
    {
        "entity": {"externalId": "0015g0000001a2BAAQ"},
        "otherRefNum": "8015g0000007C9NAAU",
        "tranDate": "2026-11-27",
        "item": {"items": [{"item": {"externalId": f"SKU-{n:05d}"}, "quantity": 2, "rate": 19.99} for n in range(3)]},
    }
).encode()
RESPONSE = json.dumps(
    {
        "id": "1234",
        "tranId": "SO1234",
        "status": {"id": "B", "refName": "Pending Fulfillment"},
        "links": [{"rel": "self", "href": "http://127.0.0.1:9/services/rest/record/v1/salesOrder/1234"}] * 4,
    }
).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exchanges", type=int, default=200_000)
    args = parser.parse_args()
    exchanges = [
        Exchange(
            system="erp",
            direction=DIRECTION_TO_MOCK,
            method="PUT",
            path=f"/services/rest/record/v1/salesOrder/eid:801{n:012d}",
            sim_time=n * 0.01,
            wall_time=time.time(),
            status=204,
            request_headers={"content-type": "application/json", "x-correlation-id": f"801{n:012d}"},
            request_body=REQUEST,
            response_headers={"location": "http://127.0.0.1:9/services/rest/record/v1/salesOrder/1234"},
            response_body=RESPONSE,
            latency_ms=1.2,
            correlation_id=f"801{n:012d}",
            business_keys=(f"801{n:012d}",),
        )
        for n in range(args.exchanges)
    ]
    with tempfile.TemporaryDirectory() as folder:
        recorder = Recorder(Path(folder) / "history.sqlite")
        started = time.perf_counter()
        for exchange in exchanges:
            recorder.exchange(exchange)
        appended = time.perf_counter() - started
        recorder.close(timeout=600)
        total = time.perf_counter() - started
        size = (Path(folder) / "history.sqlite").stat().st_size
    command = "  ".join(["python", *sys.argv])
    lines = [
        "# Recorder throughput",
        "",
        f"- command: `.venv/bin/{command}`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores, {platform.machine()},"
        f" Python {platform.python_version()}",
        f"- exchanges: {args.exchanges:,} (request {len(REQUEST)} B, response {len(RESPONSE)} B each)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| hot path (append only, caller's thread) | {args.exchanges / appended:,.0f} exchanges/s |",
        f"| sustained (append + batched WAL commits until closed) | {args.exchanges / total:,.0f} exchanges/s |",
        f"| file size | {size / 1e6:,.1f} MB ({size / args.exchanges:,.0f} B per exchange) |",
        "",
    ]
    out = Path(__file__).resolve().parent / "results" / "recorder.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
