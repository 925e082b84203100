"""What counts as the SUT changing something, for the drain's "quiet": reads by POST do not."""

from __future__ import annotations

from harness.activity import Activity


def test_a_suiteql_poll_and_a_sign_in_leave_the_sut_quiet_but_a_write_does_not() -> None:
    activity = Activity()
    activity.sut_request("POST", "/services/rest/query/v1/suiteql")
    activity.sut_request("POST", "/services/rest/auth/oauth2/v1/token")
    activity.sut_request("POST", "/services/oauth2/token")
    activity.sut_request("GET", "/services/data/v62.0/sobjects/Order/801")
    assert (activity.sut_requests, activity.last_sut_write) == (4, 0.0)
    activity.sut_request("PATCH", "/services/data/v62.0/composite/sobjects")
    assert activity.last_sut_write > 0.0
