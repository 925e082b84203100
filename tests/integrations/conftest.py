"""Fixtures for the integrations' tests; the doubles themselves are in ``sut_doubles``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sut_doubles import FakeSystems, FaultyTransport, settings_for

from integrations.reference.settings import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def systems() -> FakeSystems:
    fake = FakeSystems()
    fake.add_order()
    return fake


@pytest.fixture
def transport(systems: FakeSystems) -> FaultyTransport:
    return FaultyTransport(systems)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "state")
