"""End-to-end runs go through the real command line, as a user or a CI pipeline would."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAWED_NO_IDEMPOTENCY = f"{sys.executable} -m integrations.flawed.no_idempotency"


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    run_dir: Path | None

    @property
    def verdict(self) -> dict[str, Any]:
        assert self.run_dir is not None, self.stdout + self.stderr
        return json.loads((self.run_dir / "verdict.json").read_text())


def rehearse(out: Path, *args: str, timeout: float = 240) -> Outcome:
    command = [sys.executable, "-m", "harness.cli", "run", *args, "--out", str(out), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    runs = sorted(out.glob("*/verdict.json"))
    return Outcome(done.returncode, done.stdout, done.stderr, runs[-1].parent if runs else None)


@pytest.fixture
def run_rehearse(tmp_path: Path):  # type: ignore[no-untyped-def]
    def _run(*args: str, timeout: float = 240) -> Outcome:
        return rehearse(tmp_path / "runs", *args, timeout=timeout)

    return _run
