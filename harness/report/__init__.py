"""Renderings of a run for people and tools; each reads the Verdict (and the History), never another rendering."""

from __future__ import annotations

from pathlib import Path

from harness import timeline
from harness.history import History
from harness.report import html, junit
from harness.verdict import Verdict


def write_reports(verdict: Verdict, run_dir: Path) -> None:
    """verdict.json, junit.xml and report.html into the run folder."""
    verdict.write(run_dir / "verdict.json")
    junit.write(verdict, run_dir / "junit.xml")
    drawn = None
    if (run_dir / "history.sqlite").exists():
        with History(run_dir / "history.sqlite") as history:
            drawn = timeline.build(history)
    html.write(verdict, drawn, run_dir / "report.html")
