"""When the SUT last changed something and when the outbox last delivered: what "quiet" means."""

from __future__ import annotations

import time

READS_BY_POST = ("/query/v1/suiteql", "/oauth2/token", "/oauth2/v1/token")
"""POSTs that change nothing: a SuiteQL query and a sign-in. A SUT polling with them is still quiet."""


class Activity:
    """Wall-clock marks the drain reads to decide that the SUT has settled."""

    def __init__(self) -> None:
        self.last_sut_write = 0.0
        self.last_delivery = 0.0
        self.sut_requests = 0

    def sut_request(self, method: str, path: str = "") -> None:
        self.sut_requests += 1
        if method not in ("GET", "HEAD", "OPTIONS") and not path.endswith(READS_BY_POST):
            self.last_sut_write = time.monotonic()

    def delivered(self) -> None:
        self.last_delivery = time.monotonic()

    def quiet_for(self, since: float) -> float:
        """Seconds since the later of ``since`` and the last write or delivery."""
        return time.monotonic() - max(since, self.last_sut_write, self.last_delivery)
