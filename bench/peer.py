"""Shared machinery for "a mock next to WireMock stubs of the same calls" benchmarks.

A system supplies only its request mix (one :class:`System`: how a load generator worker opens a
session and runs one cycle of calls) and the WireMock stubs that answer the same calls. This module
does the rest, the same way for every system:

- serves the mock in a child process as ``harness/runner.py`` does: a World on a real clock at a
  high speed and driven for the whole measurement, an Outbox, a Recorder writing a History,
  ``ExchangeCapture`` around a ``FaultGate`` (no faults) around the mock's app, a ``MockServer``;
- fetches WireMock standalone (npm package ``wiremock``, cached under ~/.cache/rehearse-bench),
  starts it on loopback with its request journal off, loads the stubs, stops it;
- drives each server with the same mix from several load generator processes (a minimal
  keep-alive HTTP/1.1 client on asyncio, uvloop when installed), bounded by ``--requests`` and
  ``--seconds``, every wait with a deadline; a short warm-up (the same for both) precedes the
  measured run;
- writes ``bench/results/<system>.md``: the exact command, the machine, the generator, the
  figures and the mock / WireMock ratio.

Why not wrk: the mixes are chains (a buy needs the id and rates the shipment's answer carried,
a transform the internal id in a ``Location`` header), which wrk's Lua hooks cannot tie to the
request that produced them across connections; the Python generator runs the chains as a client
would and spreads over processes so that it is not what limits the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import platform
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rehearse-bench" / "wiremock"
DEADLINE = 60.0
"""Seconds any one wait (a server coming up or going down, a child's answer) may take."""
REQUEST_TIMEOUT = 10.0
T = TypeVar("T")
LOOPBACK = "127.0.0.1"
FAILED = 599
"""Status recorded for a request that got no answer (timeout, connection dropped)."""


# -- a keep-alive HTTP/1.1 client, small enough not to be the bottleneck --------------------------------


class Reply:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection; reopened when the server closes it or a request fails."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        reader = self.reader
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("connection closed before an answer")
        status = int(status_line.split(b" ", 2)[1])
        answer: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        if "content-length" in answer:
            content = await reader.readexactly(int(answer["content-length"]))
        elif answer.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            content = b"".join(chunks)
        else:
            content = b""
        if answer.get("connection", "").lower() == "close":
            self.close()
        return Reply(status, answer, content)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """What one generator process saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    issued: int = 0


class Client:
    """What a mix's cycle talks to: one connection, every call timed and its status counted."""

    def __init__(self, connection: Connection, tally: Tally | None) -> None:
        self.connection = connection
        self.tally = tally

    async def call(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        body = b""
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            sent["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        target = f"{path}?{urlencode(params)}" if params else path
        if self.tally is not None:
            self.tally.issued += 1
        started = time.perf_counter()
        try:
            reply = await asyncio.wait_for(self.connection.request(method, target, sent, body), REQUEST_TIMEOUT)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError):
            self.connection.close()
            reply = Reply(FAILED, {}, b"")
        if self.tally is not None:
            self.tally.latencies.append(time.perf_counter() - started)
            self.tally.statuses[reply.status] += 1
        return reply


Setup = Callable[[Client], Awaitable[dict[str, Any]]]
Cycle = Callable[[Client, str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class System:
    """One mock's side of the comparison."""

    name: str
    """Results go to bench/results/<name>.md."""
    title: str
    script: str
    """The script that serves this mock when re-run with ``--serve-mock`` (its ``__file__``)."""
    mix: str
    """The mix in words, for the result file."""
    health_path: str
    """A path the mock answers below 500 once it is up."""
    build: Callable[[Any], Any]
    """In the server process: the mock's ASGI app from a ``MockContext`` (seeded, as a stage does)."""
    stubs: Callable[[], list[dict[str, Any]]]
    setup: Setup
    """Per generator process, before the clock starts: a session (a token, ids) for its cycles."""
    cycle: Cycle
    """One unit of the mix (a chain of calls); ``key`` is unique across processes and phases."""
    notes: tuple[str, ...] = ()


# -- the generator ---------------------------------------------------------------------------------


def _generate(
    system: System,
    base: tuple[str, int],
    phase: str,
    index: int,
    concurrency: int,
    requests: int,
    start_at: float,
    deadline: float,
    out: Any,
) -> None:
    """One generator process: ``concurrency`` workers, each on its own connection, until the cap or deadline."""
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    async def main() -> dict[str, Any]:
        tally = Tally()
        connections = [Connection(*base) for _ in range(concurrency)]
        session = await system.setup(Client(connections[0], None))
        cycles = 0
        await asyncio.sleep(max(start_at - time.time(), 0.0))
        started = time.time()

        async def worker(connection: Connection) -> None:
            nonlocal cycles
            client = Client(connection, tally)
            while tally.issued < requests and time.time() < deadline:
                key = f"{phase}{index}x{cycles}"
                cycles += 1
                await system.cycle(client, key, session)

        await asyncio.wait_for(
            asyncio.gather(*(worker(c) for c in connections)), max(deadline - time.time(), 0.0) + 2 * REQUEST_TIMEOUT
        )
        ended = time.time()
        for connection in connections:
            connection.close()
        return {
            "latencies": tally.latencies,
            "statuses": dict(tally.statuses),
            "started": started,
            "ended": ended,
            "loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        }

    try:
        out.put(asyncio.run(main()))
    except BaseException as exc:
        out.put({"error": repr(exc)})
        raise


def drive(
    system: System, base: str, phase: str, requests: int, concurrency: int, seconds: float, processes: int
) -> dict[str, Any]:
    """Run the mix against ``base`` from ``processes`` generator processes; merge what they saw."""
    host, _, port = base.removeprefix("http://").partition(":")
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    per_process = max(math.ceil(concurrency / processes), 1)
    cap = max(math.ceil(requests / processes), 1)
    start_at = time.time() + 1.0
    deadline = start_at + seconds
    children = [
        ctx.Process(
            target=_generate,
            args=(system, (host, int(port)), phase, i, per_process, cap, start_at, deadline, out),
            daemon=True,
        )
        for i in range(processes)
    ]
    for child in children:
        child.start()
    results = []
    try:
        for _ in children:
            results.append(out.get(timeout=seconds + DEADLINE))
    except queue.Empty as exc:
        raise RuntimeError(f"a load generator gave no answer within {seconds + DEADLINE} s") from exc
    finally:
        for child in children:
            child.join(timeout=DEADLINE)
            if child.is_alive():
                child.kill()
                child.join(timeout=DEADLINE)
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        raise RuntimeError(f"a load generator failed: {failed[0]}")
    latencies = sorted(x for r in results for x in r["latencies"])
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update({int(k): v for k, v in r["statuses"].items()})
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    count = len(latencies)
    return {
        "requests": count,
        "wall": wall,
        "rps": count / wall if wall > 0 else 0.0,
        "p50_ms": latencies[count // 2] * 1000 if count else math.nan,
        "p99_ms": latencies[min(int(count * 0.99), count - 1)] * 1000 if count else math.nan,
        "errors": sum(v for k, v in statuses.items() if k >= 400),
        "statuses": dict(sorted(statuses.items())),
        "loop": results[0]["loop"],
    }


# -- the servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], deadline: float = DEADLINE) -> None:
    import httpx

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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=DEADLINE)


RECORDING = ("on", "capture-only", "off")
"""How a mock may be served: as the runner does (``on``); its exchanges captured but handed to a recorder
that keeps nothing (``capture-only``); neither captured nor recorded (``off``)."""


def null_recorder() -> Any:
    """A Recorder that counts what it is handed and keeps nothing: "recording off" for the mocks' events."""
    from harness.recorder import Recorder

    class NullRecorder(Recorder):
        def __init__(self) -> None:
            self.counts = {"exchange": 0, "event": 0}

        def _put(self, kind: str, row: Any) -> None:
            pass

        def exchange(self, exchange: Any) -> None:
            self.counts["exchange"] += 1

        def event(self, system: str, kind: str, business_key: Any, payload: Any, sim_time: float) -> None:
            self.counts["event"] += 1

        def flush(self, timeout: float = 30.0) -> None:
            pass

        def close(self, timeout: float = 30.0) -> None:
            pass

    return NullRecorder()


def serve_mock(
    system: System,
    port: int,
    history: Path,
    stats: Path,
    speed: float,
    profile: Path | None = None,
    recording: str = "on",
) -> None:
    """Child process: the mock as the runner serves it, until SIGTERM; then what it recorded, to ``stats``.

    ``recording`` (one of :data:`RECORDING`) takes the Recorder and the ExchangeCapture away, to price them.
    """
    import httpx

    from harness.activity import Activity
    from harness.capture import ExchangeCapture
    from harness.clock import Clock
    from harness.faults.gate import FaultGate
    from harness.hosting import MockServer
    from harness.outbox import Outbox
    from harness.recorder import Recorder
    from harness.world import World
    from mocks.base import MockContext

    async def main() -> dict[str, Any]:
        recorder = Recorder(history) if recording == "on" else null_recorder()
        world = World(Clock(speed), 1)
        activity = Activity()
        async with httpx.AsyncClient() as client:
            context = MockContext(world, Outbox(world, recorder, client, activity), recorder)
            app = system.build(context)
            gated = FaultGate(app, system=system.name, world=world, faults=[])
            served = (
                gated
                if recording == "off"
                else ExchangeCapture(gated, system=system.name, world=world, recorder=recorder, activity=activity)
            )
            server = MockServer(system.name, served, port)
            await server.start()
            driver = asyncio.ensure_future(world.run_until(math.inf))
            stopping = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
            await stopping.wait()
            world.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(driver, DEADLINE)
            await server.stop()
            await world.close()
        counts: dict[str, Any] = {**recorder.counts, "sim_seconds": world.env.now}
        recorder.close()
        return counts

    if profile is None:
        counts = asyncio.run(main())
    else:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        counts = profiler.runcall(asyncio.run, main())
        with profile.open("w") as sink:
            pstats.Stats(profiler, stream=sink).sort_stats("cumulative").print_stats(60)
    stats.write_text(json.dumps(counts))


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
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE), "wiremock"],
            check=True,
            timeout=600,
        )
        found = sorted(CACHE.glob("node_modules/wiremock/**/wiremock-standalone-*.jar"))
    if not found:
        raise SystemExit(f"no wiremock-standalone jar under {CACHE}")
    return found[-1]


def measure_mock(system: System, args: argparse.Namespace, folder: Path, recording: str = "on") -> dict[str, Any]:
    port = free_port()
    stats = folder / f"{system.name}-{recording}-stats.json"
    command = [
        sys.executable,
        system.script,
        "--serve-mock",
        str(port),
        "--history",
        str(folder / f"{system.name}-{recording}-history.sqlite"),
        "--stats",
        str(stats),
        "--speed",
        str(args.speed),
        "--recording",
        recording,
    ]
    if args.profile:
        command += ["--profile", str(Path(args.profile).resolve())]
    process = subprocess.Popen(command, cwd=ROOT)
    try:
        base = f"http://{LOOPBACK}:{port}"
        wait_until_up(base + system.health_path, process)
        warm(system, base, args)
        cpu_before = cpu_seconds(process.pid)
        result = drive(system, base, "m", args.requests, args.concurrency, args.seconds, args.generators)
        result["server_cpu"] = cpu_seconds(process.pid) - cpu_before
    finally:
        stop(process)
    if stats.exists():
        result["recorded"] = json.loads(stats.read_text())
    return result


def measure_wiremock(system: System, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    import httpx

    jar = wiremock_jar(args.wiremock_jar)
    port = free_port()
    root = folder / f"{system.name}-wiremock"
    root.mkdir()
    command = [
        "java",
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        LOOPBACK,
        "--root-dir",
        str(root),
        "--no-request-journal",
        "--disable-request-logging",
        "--disable-banner",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
    try:
        base = f"http://{LOOPBACK}:{port}"
        wait_until_up(f"{base}/__admin/health", process)
        for stub in system.stubs():
            httpx.post(f"{base}/__admin/mappings", json=stub, timeout=DEADLINE).raise_for_status()
        warm(system, base, args)
        return drive(system, base, "m", args.requests, args.concurrency, args.seconds, args.generators)
    finally:
        stop(process)


def warm(system: System, base: str, args: argparse.Namespace) -> None:
    """The same short warm-up for both servers (WireMock's JIT; the mock's first-call imports)."""
    if args.warmup > 0:
        drive(system, base, "w", args.warmup, args.concurrency, min(args.seconds, 15.0), args.generators)


def sample(build: Callable[[Any], Any], script: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``script`` against the mock in-process (virtual time, no server): real answers to stub with."""
    import httpx

    from harness.clock import Clock
    from harness.outbox import Outbox
    from harness.recorder import Recorder
    from harness.world import World
    from mocks.base import MockContext

    async def main() -> T:
        with tempfile.TemporaryDirectory() as scratch:
            recorder = Recorder(Path(scratch) / "history.sqlite")
            world = World(Clock(None), 1)
            async with httpx.AsyncClient() as outbound:
                app = build(MockContext(world, Outbox(world, recorder, outbound), recorder))
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url=f"http://{LOOPBACK}") as client:
                    answers = await script(client)
                await world.close()
            recorder.close()
        return answers

    return asyncio.run(main())


# -- the command line and the result -----------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--requests", type=int, default=20000, help="cap per server (measured run)")
    p.add_argument("--seconds", type=float, default=30.0, help="deadline per server (measured run)")
    p.add_argument("--concurrency", type=int, default=32, help="connections in all, spread over the generators")
    p.add_argument("--generators", type=int, default=2, help="load generator processes")
    p.add_argument("--warmup", type=int, default=1000, help="requests sent to each server before measuring")
    p.add_argument(
        "--speed", type=float, default=600.0, help="the mock World's simulated seconds per wall second (10 min/s)"
    )
    p.add_argument("--wiremock-jar")
    p.add_argument("--profile", help="write the mock server's cProfile (cumulative, top 60) to this file")
    p.add_argument("--serve-mock", type=int, help=argparse.SUPPRESS)
    p.add_argument("--history", help=argparse.SUPPRESS)
    p.add_argument("--stats", help=argparse.SUPPRESS)
    p.add_argument("--recording", choices=RECORDING, default="on", help=argparse.SUPPRESS)
    return p


def command_line(script: str, args: argparse.Namespace) -> str:
    flags = ("requests", "seconds", "concurrency", "generators", "warmup", "speed")
    shown = " ".join(f"--{name} {getattr(args, name):g}" for name in flags)
    return f".venv/bin/python bench/{Path(script).name} {shown}"


def compare(system: System, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """The pair, back to back: the mock, then WireMock."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        mock = measure_mock(system, args, Path(scratch))
        load_between = os.getloadavg()[0]
        wiremock = measure_wiremock(system, args, Path(scratch))
    load_after = os.getloadavg()[0]
    return mock, wiremock, {"before": load_before, "between": load_between, "after": load_after}


def write_result(
    system: System,
    args: argparse.Namespace,
    command: str,
    mock: dict[str, Any],
    wiremock: dict[str, Any],
    load: dict[str, float],
) -> Path:
    ratio = mock["rps"] / wiremock["rps"] if wiremock["rps"] else math.nan
    recorded = mock.get("recorded", {})
    rows = [
        (f"{system.title} (stateful, validating, recording)", mock, f"{ratio:.2f}"),
        ("WireMock standalone stubs", wiremock, "1.00"),
    ]
    lines = [
        f"# {system.title[0].upper()}{system.title[1:]} next to WireMock stubs",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()}, loopback only. Generator:"
        f" bench/peer.py's keep-alive HTTP/1.1 client on asyncio ({mock['loop']} loop), {args.generators}"
        f" processes, {args.concurrency} connections in all, on the same machine as the server.",
        "",
        f"Mix: {system.mix}",
        "",
        "```sh",
        command,
        "```",
        "",
        "| server | requests | wall | requests/s | mock / WireMock | p50 | p99 | 4xx/5xx |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['requests']} | {r['wall']:.1f} s | {r['rps']:.0f} | {share} | {r['p50_ms']:.1f} ms |"
            f" {r['p99_ms']:.1f} ms | {r['errors']} |"
            for name, r, share in rows
        ),
        "",
        f"Statuses: mock {mock['statuses']}; WireMock {wiremock['statuses']}.",
        *(
            f"{name} stopped at the --requests cap ({args.requests}) before the --seconds deadline."
            for name, r in (("The mock", mock), ("WireMock", wiremock))
            if r["requests"] >= args.requests
        ),
        f"The mock recorded {recorded.get('exchange', '?')} exchanges and {recorded.get('event', '?')} domain"
        f" events to its History (warm-up included), its World on a real clock at speed {args.speed:g}"
        f" ({recorded.get('sim_seconds', 0) / 3600:.1f} simulated hours by the end).",
        "",
        f"Both servers ran back to back in one run (mock first, each after a {args.warmup}-request warm-up),"
        " driven by the same generator with the same mix; other processes (test runs) may have been loading"
        f" the machine meanwhile. Load average (1 min) before / between / after: {load['before']:.2f} /"
        f" {load['between']:.2f} / {load['after']:.2f}. The generator shares the two cores with the server,"
        " so the figures compare with each other, not with other machines.",
        *(["", *system.notes] if system.notes else []),
        "",
    ]
    out = ROOT / "bench" / "results" / f"{system.name}.md"
    out.write_text("\n".join(lines))
    return out


def main(system: System, argv: list[str] | None = None) -> None:
    args = parser(system.title + " next to WireMock stubs of the same calls").parse_args(argv)
    if args.serve_mock is not None:
        profile = Path(args.profile) if args.profile else None
        serve_mock(system, args.serve_mock, Path(args.history), Path(args.stats), args.speed, profile, args.recording)
        return
    mock, wiremock, load = compare(system, args)
    out = write_result(system, args, command_line(system.script, args), mock, wiremock, load)
    print(out.read_text())
