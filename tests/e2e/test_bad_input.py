"""Bad input and bad SUTs: clear errors, exit code 2, never a hang."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import ROOT


def test_unknown_scenario_lists_the_known_ones(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    outcome = run_rehearse("no-such-scenario")
    assert outcome.code == 2
    assert "unknown scenario 'no-such-scenario'" in outcome.stderr
    assert "smoke" in outcome.stderr


def test_an_invalid_scenario_file_is_rejected_before_anything_starts(run_rehearse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: smoke\nname: bad\nduration: soon\n")
    outcome = run_rehearse(str(bad))
    assert outcome.code == 2
    assert str(bad) in outcome.stderr and "duration" in outcome.stderr
    assert outcome.run_dir is None


def test_a_sut_that_exits_at_once_is_a_harness_error_with_its_log(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    sut = f"{sys.executable} -c \"import sys; print('cannot reach the database'); sys.exit(3)\""
    outcome = run_rehearse("smoke", "--sut", sut)
    assert outcome.code == 2
    assert time.monotonic() - started < 30
    assert "exited with code 3" in outcome.stdout
    assert "cannot reach the database" in outcome.stdout
    assert outcome.verdict["error"]


def test_a_sut_that_never_becomes_healthy_fails_within_its_deadline(run_rehearse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "rehearse.toml"
    config.write_text("[sut]\nhealth_timeout = 2\nstop_grace = 1\n")
    sut = f'{sys.executable} -c "import time; time.sleep(120)"'
    started = time.monotonic()
    outcome = run_rehearse("smoke", "--sut", sut, "--config", str(config))
    assert outcome.code == 2
    assert time.monotonic() - started < 30
    assert "not healthy" in outcome.stdout


def test_a_port_in_use_names_the_system_and_the_port(run_rehearse) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        outcome = run_rehearse("smoke", "--port", f"erp={port}")
    assert outcome.code == 2
    assert f"mock erp on 127.0.0.1:{port}" in outcome.stdout


def test_a_bad_config_file_is_explained(run_rehearse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "rehearse.toml"
    config.write_text("[sut]\nhelth_path = '/ok'\n")
    outcome = run_rehearse("smoke", "--config", str(config))
    assert outcome.code == 2
    assert "unknown keys in [sut]: helth_path" in outcome.stderr


def test_ctrl_c_stops_the_sut_flushes_the_history_and_marks_the_verdict_incomplete(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    child = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "smoke", "--speed", "30", "--out", str(out), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        history = None
        while time.monotonic() < deadline:
            found = list(out.glob("*/history.sqlite"))
            if found and _exchanges(found[0]) >= 20:
                history = found[0]
                break
            time.sleep(0.2)
        assert history is not None, "the run never got going"
        child.send_signal(signal.SIGINT)
        stdout, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stdout
    run_dir = history.parent
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["complete"] is False
    assert "INCOMPLETE" in stdout
    sut_pid = json.loads(
        sqlite3.connect(run_dir / "history.sqlite").execute("SELECT value FROM run WHERE key='sut_pid'").fetchone()[0]
    )
    try:
        os.kill(sut_pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the SUT outlived the interrupted run"
    assert _exchanges(run_dir / "history.sqlite") >= 20


def _exchanges(path: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT count(*) FROM exchanges").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_the_config_option_names_its_section_in_help() -> None:
    # Rich reads "[sut]" as markup and drops it unless escaped: the help then names no section.
    from typer.testing import CliRunner

    from harness.cli import app

    for command in (["run"], ["contracts", "fuzz-sut"]):
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "rehearse.toml with a [sut] section" in result.output, command
