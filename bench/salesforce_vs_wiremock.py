"""Mock Salesforce's throughput on a realistic request mix, next to WireMock stubs of the same calls.

Both servers run on loopback in their own processes, one after the other, and the same load
generator drives each with the same mix and concurrency: per 20 requests, 1 token grant, 7 creates,
7 upserts by external id (about half of them updates) and 5 SOQL queries. Mock Salesforce runs as
in a rehearsal: stateful, validating, and recording every exchange to a History. WireMock answers
canned stubs from memory with its request journal off: the stateless ceiling.

Usage (WireMock comes from the npm package ``wiremock``, which carries the standalone jar; Java 17+):

    .venv/bin/python bench/salesforce_vs_wiremock.py [--requests 12000] [--concurrency 32] [--seconds 60]

Writes bench/results/salesforce.md with the command, the machine and the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

V = "/services/data/v62.0"
MIX = ["token"] + ["create"] * 7 + ["upsert"] * 7 + ["query"] * 5
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rehearse-bench" / "wiremock"
CLIENT = {"client_id": "rehearse-salesforce-client", "client_secret": "rehearse-salesforce-secret"}
DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {deadline} s")


# -- the two servers ------------------------------------------------------------------------------


def serve_mock(port: int, history: Path) -> None:
    """Child process: mock Salesforce as the runner serves it (capture and recorder included)."""
    from harness.activity import Activity
    from harness.capture import ExchangeCapture
    from harness.clock import Clock
    from harness.hosting import MockServer
    from harness.outbox import Outbox
    from harness.population import generate
    from harness.recorder import Recorder
    from harness.world import World
    from mocks.base import MockContext
    from mocks.salesforce import SalesforceMock

    async def main() -> None:
        recorder = Recorder(history)
        world = World(Clock(None), 1)
        async with httpx.AsyncClient() as client:
            mock = SalesforceMock(MockContext(world, Outbox(world, recorder, client), recorder))
            mock.seed(generate(1, customers=50, products=20))
            app = ExchangeCapture(
                mock.asgi_app(), system="salesforce", world=world, recorder=recorder, activity=Activity()
            )
            server = MockServer("salesforce", app, port)
            await server.start()
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()
            await server.stop()
        recorder.close()

    asyncio.run(main())


def wiremock_jar(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    found = sorted(CACHE.glob("node_modules/wiremock/**/wiremock-standalone-*.jar"))
    if not found:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed to fetch WireMock (or pass --wiremock-jar)")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE), "wiremock"], check=True
        )
        found = sorted(CACHE.glob("node_modules/wiremock/**/wiremock-standalone-*.jar"))
    return found[-1]


def stubs() -> list[dict[str, Any]]:
    token = {
        "access_token": "00D!stub",
        "instance_url": "http://127.0.0.1",
        "id": "https://login.salesforce.com/id/00D/005",
        "token_type": "Bearer",
        "issued_at": "1764230400000",
        "signature": "c2ln",
    }
    record = {"id": "0015g0000007C9NAAU", "success": True, "errors": []}
    page = {"totalSize": 1, "done": True, "records": [{"attributes": {"type": "Account"}, "Id": record["id"]}]}
    json_headers = {"Content-Type": "application/json"}
    return [
        {
            "request": {"method": "POST", "url": "/services/oauth2/token"},
            "response": {"status": 200, "jsonBody": token, "headers": json_headers},
        },
        {
            "request": {"method": "POST", "url": f"{V}/sobjects/Account"},
            "response": {"status": 201, "jsonBody": record, "headers": json_headers},
        },
        {
            "request": {"method": "PATCH", "urlPathPattern": f"{V}/sobjects/Account/Customer_Number__c/.*"},
            "response": {"status": 200, "jsonBody": {**record, "created": False}, "headers": json_headers},
        },
        {
            "request": {"method": "GET", "urlPath": f"{V}/query"},
            "response": {"status": 200, "jsonBody": page, "headers": json_headers},
        },
    ]


# -- the load ------------------------------------------------------------------------------------------


async def drive(base: str, requests: int, concurrency: int, seconds: float) -> dict[str, Any]:
    """Send the mix from ``concurrency`` workers until ``requests`` are done or ``seconds`` pass."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:
        grant = await client.post("/services/oauth2/token", data={"grant_type": "client_credentials", **CLIENT})
        headers = {"Authorization": f"Bearer {grant.json()['access_token']}"}
        issued = 0
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def one(n: int) -> int:
            kind = MIX[n % len(MIX)]
            if kind == "token":
                reply = await client.post("/services/oauth2/token", data={"grant_type": "client_credentials", **CLIENT})
            elif kind == "create":
                reply = await client.post(f"{V}/sobjects/Account", json={"Name": f"Bench {n}"}, headers=headers)
            elif kind == "upsert":
                key = f"B-{n % (requests // 4 or 1)}"
                reply = await client.patch(
                    f"{V}/sobjects/Account/Customer_Number__c/{key}", json={"Name": f"Upsert {n}"}, headers=headers
                )
            else:
                soql = f"SELECT Id, Name FROM Account WHERE Customer_Number__c = 'B-{n % 500}' LIMIT 1"
                reply = await client.get(f"{V}/query", params={"q": soql}, headers=headers)
            return reply.status_code

        async def worker() -> None:
            nonlocal issued, errors
            while issued < requests and time.perf_counter() < deadline:
                n = issued
                issued += 1
                started = time.perf_counter()
                status = await one(n)
                latencies.append(time.perf_counter() - started)
                if status >= 400:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors,
    }


def measure_mock(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    port = free_port()
    command = [sys.executable, __file__, "--serve-mock", str(port), "--history", str(folder / "history.sqlite")]
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/services/data/", process)
        return asyncio.run(drive(f"http://127.0.0.1:{port}", args.requests, args.concurrency, args.seconds))
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE)


def measure_wiremock(args: argparse.Namespace) -> dict[str, Any]:
    jar = wiremock_jar(args.wiremock_jar)
    port = free_port()
    command = [
        "java",
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--no-request-journal",
        "--disable-request-logging",
        "--disable-banner",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/__admin/health", process)
        for stub in stubs():
            httpx.post(f"{base}/__admin/mappings", json=stub, timeout=DEADLINE).raise_for_status()
        asyncio.run(drive(base, min(args.requests, 2000), args.concurrency, args.seconds))  # JIT warm-up
        return asyncio.run(drive(base, args.requests, args.concurrency, args.seconds))
    finally:
        process.terminate()
        process.wait(timeout=DEADLINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=12000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0, help="upper bound per target")
    parser.add_argument("--wiremock-jar")
    parser.add_argument("--serve-mock", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--history", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_mock is not None:
        serve_mock(args.serve_mock, Path(args.history))
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        mock = measure_mock(args, Path(scratch))
    wiremock = measure_wiremock(args)
    load_after = os.getloadavg()[0]
    rows = [("mock Salesforce (stateful, validating, recording)", mock), ("WireMock standalone stubs", wiremock)]
    command = ".venv/bin/python bench/salesforce_vs_wiremock.py " + " ".join(
        f"--{k} {v}"
        for k, v in (("requests", args.requests), ("concurrency", args.concurrency), ("seconds", args.seconds))
    )
    lines = [
        "# Mock Salesforce next to WireMock stubs",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()}; one load generator process (httpx,"
        f" {args.concurrency} concurrent keep-alive connections) on the same machine, loopback only.",
        "",
        "Mix per 20 requests: 1 OAuth token grant, 7 creates, 7 upserts by external id, 5 SOQL queries.",
        "",
        "```sh",
        command,
        "```",
        "",
        "| server | requests | wall | requests/s | p50 | p99 | 4xx/5xx |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['requests']} | {r['wall']:.1f} s | {r['rps']:.0f} | {r['p50_ms']:.1f} ms |"
            f" {r['p99_ms']:.1f} ms | {r['errors']} |"
            for name, r in rows
        ),
        "",
        "The load generator is Python and shares the cores with the server, so both figures are",
        "bounded by it as well; they are comparable with each other, not with other machines.",
        f"Load average (1 min) before and after: {load_before:.2f} / {load_after:.2f}; anything else running",
        "on the machine (other test runs) lowers both figures.",
        "",
    ]
    out = ROOT / "bench" / "results" / "salesforce.md"
    out.write_text("\n".join(lines))
    print(out.read_text())
    print(json.dumps({"mock": mock, "wiremock": wiremock}))


if __name__ == "__main__":
    main()
