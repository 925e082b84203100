"""The integration under test: started as a child process, or reached at a URL already running."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

DEFAULT_WEBHOOKS = {
    "salesforce": "/webhooks/salesforce",
    "erp": "/webhooks/erp",
    "wms": "/webhooks/wms",
    "carrier": "/webhooks/carrier",
}
REFERENCE_COMMAND = f"{shlex.quote(sys.executable)} -m integrations.reference"


class SutError(RuntimeError):
    """The SUT could not be started, never became healthy, or died: the run cannot judge it."""


@dataclass(slots=True)
class SutConfig:
    command: str | None = None
    url: str | None = None
    health_path: str = "/health"
    health_timeout: float = 30.0
    stop_grace: float = 5.0
    webhooks: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_WEBHOOKS))

    @classmethod
    def from_file(cls, path: Path) -> SutConfig:
        """``rehearse.toml``'s ``[sut]`` section; unknown keys are refused rather than ignored."""
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SutError(f"{path}: {exc}") from exc
        section = data.get("sut", {})
        known = {"command", "url", "health_path", "health_timeout", "stop_grace", "webhooks"}
        unknown = set(section) - known
        if unknown:
            raise SutError(
                f"{path}: unknown keys in [sut]: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
            )
        config = cls()
        for key in known - {"webhooks"}:
            if key in section:
                setattr(config, key, section[key])
        for system, hook in section.get("webhooks", {}).items():
            if system not in DEFAULT_WEBHOOKS:
                raise SutError(f"{path}: [sut.webhooks] {system}: not a system (known: {', '.join(DEFAULT_WEBHOOKS)})")
            config.webhooks[system] = hook
        return config


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log, for error messages."""
    try:
        with path.open(errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines)).rstrip()
    except OSError:
        return "(no log)"


class SutProcess:
    """A SUT started by the harness: own process group, log captured, stopped TERM-then-KILL."""

    def __init__(self, command: str, env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.env = env
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    async def start(self) -> None:
        try:
            argv = shlex.split(self.command)
        except ValueError as exc:
            raise SutError(f"cannot parse the SUT command {self.command!r}: {exc}") from exc
        if not argv:
            raise SutError("the SUT command is empty")
        self._log = self.log_path.open("ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self._log,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        except OSError as exc:
            raise SutError(f"cannot start the SUT {argv[0]!r}: {exc.strerror or exc}") from exc

    async def wait(self) -> int:
        assert self._process is not None
        return await self._process.wait()

    async def stop(self, grace: float) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                self._signal(signal.SIGKILL)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 5)
        else:
            # The leader is gone; children it left in its group must not outlive the run.
            self._signal(signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _signal(self, sig: signal.Signals) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, sig)


async def wait_healthy(url: str, timeout: float, process: SutProcess | None, log_path: Path | None) -> None:
    """Poll the SUT's health URL until 2xx, the deadline, or the process exiting."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = "no answer yet"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if process is not None and process.returncode is not None:
                raise SutError(
                    f"the SUT exited with code {process.returncode} before it was healthy; last lines of its log:\n"
                    + (tail(log_path) if log_path else "")
                )
            try:
                response = await client.get(url)
                if 200 <= response.status_code < 300:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            if loop.time() > deadline:
                log = f"; last lines of its log:\n{tail(log_path)}" if log_path else ""
                raise SutError(f"the SUT was not healthy at {url} within {timeout:g} s ({last}){log}")
            await asyncio.sleep(0.1)
