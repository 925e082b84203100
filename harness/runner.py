"""One run, start to verdict: build the World, serve the mocks, start the SUT, trade, drain, judge.

Everything that is started is stopped in ``finally``, in reverse, whatever happened: a SUT that
failed to start, a crash mid-run, or Ctrl-C. The History is flushed before anything is judged, so
an interrupted run still leaves a readable ``history.sqlite`` and a verdict marked incomplete.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from harness.capture import ExchangeCapture
from harness.hosting import LOOPBACK, HostingError, MockServer, bind_all
from harness.recorder import Recorder, RecorderError
from harness.report import write_reports
from harness.stage import build_stage
from harness.sut import REFERENCE_COMMAND, SutConfig, SutError, SutProcess, tail, wait_healthy
from harness.tls import RunCertificates, client_environment
from harness.verdict import Verdict, judge_run
from scenarios import Scenario

Progress = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class RunOptions:
    scenario: Scenario
    seed: int | None = None
    speed: float | None = None
    """Simulated seconds per wall second; None takes the scenario's."""
    sut: SutConfig = field(default_factory=SutConfig)
    out_dir: Path = Path("runs")
    ports: dict[str, int] = field(default_factory=dict)
    progress: Progress | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class Run:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.scenario = options.scenario
        self.seed = options.seed if options.seed is not None else self.scenario.seed
        self.speed = options.speed if options.speed is not None else self.scenario.speed
        started = datetime.now(UTC)
        self.run_id = f"{started:%Y%m%dT%H%M%SZ}-{self.scenario.name}-{self.seed}"
        self.run_dir = options.out_dir / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=False)
        self.started_at = started.isoformat()
        self.recorder = Recorder(self.run_dir / "history.sqlite")
        self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
        self.stage = build_stage(
            self.scenario, seed=self.seed, speed=self.speed, recorder=self.recorder, client=self.client
        )
        self.world = self.stage.world
        self.certificates = RunCertificates()
        self.sut_process: SutProcess | None = None
        self.drained = False
        self._wall_start = 0.0

    @property
    def run_info(self) -> dict[str, Any]:
        sut = self.options.sut
        return {
            "run_id": self.run_id,
            "run_dir": str(self.run_dir),
            "scenario": self.scenario.name,
            "scenario_file": self.scenario.source,
            "seed": self.seed,
            "speed": self.speed,
            "workflows": list(self.scenario.workflows),
            "started_at": self.started_at,
            "sut": sut.url or sut.command or REFERENCE_COMMAND,
            "expect": self.scenario.expect,
            "checkers": list(self.scenario.checkers),
        }

    def metrics(self) -> dict[str, Any]:
        stats = self.stage.outbox.stats
        return {
            "sim_seconds": round(self.world.env.now, 3),
            "wall_seconds": round(time.monotonic() - self._wall_start, 3) if self._wall_start else 0.0,
            "orders_placed": self.stage.arrivals.placed,
            "exchanges": self.recorder.counts["exchange"],
            "sut_requests": self.stage.activity.sut_requests,
            "webhooks_published": stats["published"],
            "webhook_attempts": stats["attempts"],
            "webhook_failures": stats["failed"],
            "webhooks_delivered": stats["delivered"],
            "webhooks_exhausted": stats["exhausted"],
            "drained": self.drained,
            **self.stage.load(),
            **self._sales_orders_per_erp(),
        }

    def _sales_orders_per_erp(self) -> dict[str, int]:
        """Across a cutover, how the orders split between the ERP accounts (none without one)."""
        if self.stage.cutover is None:
            return {}
        return {f"sales_orders_{erp.system.replace('-', '_')}": len(erp.state.sales_orders) for erp in self.stage.erps}

    async def execute(self) -> Verdict:
        self._wall_start = time.monotonic()
        self.recorder.run_info("run", self.run_info)
        error: str | None = None
        complete = True
        servers: list[MockServer] = []
        reporter = asyncio.create_task(self._report_progress()) if self.options.progress else None
        try:
            servers = await self._serve_mocks()
            await self._start_sut(servers)
            self.stage.open_trading()
            await self._while_sut_lives(self.world.run_until(self.scenario.duration))
            self.stage.heal()
            await self._while_sut_lives(self._drain())
        except asyncio.CancelledError:
            complete = False
        except (HostingError, SutError, RecorderError, ValueError) as exc:
            error = str(exc)
        finally:
            if reporter is not None:
                reporter.cancel()
            await self._shut_down(servers)
        self.recorder.run_info("metrics", self.metrics())
        self.recorder.run_info("complete", complete)
        if error is not None:
            self.recorder.run_info("error", error)
        self.recorder.close()
        verdict = judge_run(self.run_dir)
        write_reports(verdict, self.run_dir)
        return verdict

    async def _serve_mocks(self) -> list[MockServer]:
        servers = [
            MockServer(
                mock.system,
                ExchangeCapture(
                    self.stage.served_app(mock),
                    system=mock.system,
                    world=self.world,
                    recorder=self.recorder,
                    activity=self.stage.activity,
                ),
                self.options.ports.get(mock.system, 0),
                tls=self.certificates if mock.serves_https else None,
                tls_port=self.options.ports.get(f"{mock.system}-https", 0),
            )
            for mock in self.stage.mocks
        ]
        bind_all(servers)
        for server in servers:
            await server.start()
        return servers

    async def _start_sut(self, servers: list[MockServer]) -> None:
        sut = self.options.sut
        env = {
            "REHEARSE_RUN_ID": self.run_id,
            "REHEARSE_SUT_STATE_DIR": str((self.run_dir / "sut-state").resolve()),
            **client_environment(self.certificates.write_ca(self.run_dir)),
        }
        for mock, server in zip(self.stage.mocks, servers, strict=True):
            env.update(mock.sut_environment(server.base_url))
            if server.plain_url != server.base_url:
                env[f"REHEARSE_{mock.system.upper()}_HTTP_URL"] = server.plain_url
        if sut.url:
            base = sut.url.rstrip("/")
        else:
            port = _free_port()
            env["REHEARSE_SUT_PORT"] = str(port)
            base = f"http://{LOOPBACK}:{port}"
        (self.run_dir / "sut-state").mkdir()
        (self.run_dir / "sut.env").write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
        if not sut.url:
            self.sut_process = SutProcess(sut.command or REFERENCE_COMMAND, env, self.run_dir / "sut.log")
            await self.sut_process.start()
            self.recorder.run_info("sut_pid", self.sut_process.pid)
        await wait_healthy(
            base + sut.health_path,
            sut.health_timeout,
            self.sut_process,
            self.run_dir / "sut.log" if self.sut_process else None,
        )
        for mock in self.stage.mocks:
            # A second ERP account (a cutover's) posts to the ERP receiver: its events name the account.
            path = sut.webhooks.get(mock.system) or sut.webhooks.get(type(mock).system)
            self.stage.outbox.set_receiver(mock.system, base + path if path else None)

    async def _while_sut_lives(self, phase: Any) -> None:
        """Run a phase, but stop at once with an error if the SUT process dies meanwhile."""
        task = asyncio.ensure_future(phase)
        if self.sut_process is None:
            await task
            return
        watcher = asyncio.ensure_future(self.sut_process.wait())
        try:
            done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            watcher.cancel()
            raise
        if task in done:
            watcher.cancel()
            task.result()
            return
        self.world.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise SutError(
            f"the SUT exited with code {self.sut_process.returncode} during the run; last lines of its log:\n"
            + tail(self.run_dir / "sut.log")
        )

    async def _drain(self) -> None:
        """No new business; deliveries and retries go on until the SUT is quiet or the deadline."""
        world = asyncio.ensure_future(self.world.run_until(math.inf))
        start = time.monotonic()
        deadline = start + self.scenario.drain_deadline
        try:
            while time.monotonic() < deadline:
                if world.done():
                    world.result()
                if (
                    self.stage.outbox.in_flight == 0
                    and self.stage.activity.quiet_for(start) >= self.scenario.drain_quiet
                ):
                    self.drained = True
                    return
                await asyncio.sleep(0.05)
        finally:
            self.world.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await world

    async def _shut_down(self, servers: list[MockServer]) -> None:
        """Stop what was started, newest first; record the final state before the mocks go."""
        self.world.stop()
        if self.sut_process is not None:
            await self.sut_process.stop(self.options.sut.stop_grace)
        for mock in self.stage.mocks:
            self.recorder.final_state(mock.system, mock.snapshot())
        for server in reversed(servers):
            await server.stop()
        await self.world.close()
        await self.client.aclose()

    async def _report_progress(self) -> None:
        assert self.options.progress is not None
        while True:
            self.options.progress({**self.metrics(), "duration": self.scenario.duration})
            await asyncio.sleep(0.5)


async def run(options: RunOptions) -> Verdict:
    return await Run(options).execute()
