"""The inbox and the ledger keep what they were given across a reopening of the state file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from integrations.reference.database import open_database
from integrations.reference.erp import ErpSalesOrder
from integrations.reference.inbox import Inbox
from integrations.reference.ledger import Ledger

NOW = 1_800_000_000.0


@contextmanager
def inbox_at(path: Path) -> Iterator[Inbox]:
    with closing(open_database(path)) as database:
        yield Inbox(database)


def test_accepted_events_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with inbox_at(path) as inbox:
        assert inbox.accept('{"n": 1}', event_key="salesforce/1", now=NOW)
        assert inbox.accept('{"n": 2}', event_key="salesforce/2", now=NOW)

    with inbox_at(path) as inbox:
        due = inbox.due(NOW, limit=10, busy=())
    assert [d.body for d in due] == ['{"n": 1}', '{"n": 2}']
    assert [d.attempts for d in due] == [0, 0]


def test_a_redelivered_event_is_stored_once_even_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with inbox_at(path) as inbox:
        assert inbox.accept('{"first": true}', event_key="salesforce/17", now=NOW)
        assert not inbox.accept('{"again": true}', event_key="salesforce/17", now=NOW)
    with inbox_at(path) as inbox:
        assert not inbox.accept('{"later": true}', event_key="salesforce/17", now=NOW + 60)
        assert [d.body for d in inbox.due(NOW + 60, limit=10, busy=())] == ['{"first": true}']


def test_deliveries_without_a_key_are_all_kept(tmp_path: Path) -> None:
    with inbox_at(tmp_path / "state.sqlite") as inbox:
        assert inbox.accept("{}", event_key=None, now=NOW)
        assert inbox.accept("{}", event_key=None, now=NOW)
        assert len(inbox.due(NOW, limit=10, busy=())) == 2


def test_a_rescheduled_delivery_waits_for_its_time_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with inbox_at(path) as inbox:
        inbox.accept("{}", event_key="salesforce/1", now=NOW)
        [delivery] = inbox.due(NOW, limit=10, busy=())
        inbox.retry_later(delivery.number, at=NOW + 30, reason="503 from the ERP")

    with inbox_at(path) as inbox:
        assert inbox.due(NOW + 29.9, limit=10, busy=()) == []
        [resumed] = inbox.due(NOW + 30, limit=10, busy=())
    assert resumed.number == delivery.number
    assert resumed.attempts == 1


def test_finished_deliveries_are_never_due_again(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with inbox_at(path) as inbox:
        for replay_id in (1, 2, 3):
            inbox.accept("{}", event_key=f"salesforce/{replay_id}", now=NOW)
        first, second, _ = inbox.due(NOW, limit=10, busy=())
        inbox.complete(first.number)
        inbox.give_up(second.number, reason="400 INVALID_CONTENT")

    with inbox_at(path) as inbox:
        assert [d.body for d in inbox.due(NOW + 3600, limit=10, busy=())] == ["{}"]
        assert inbox.due(NOW + 3600, limit=10, busy=())[0].number not in (first.number, second.number)


def test_due_leaves_out_deliveries_in_progress_and_keeps_to_the_limit(tmp_path: Path) -> None:
    with inbox_at(tmp_path / "state.sqlite") as inbox:
        for replay_id in range(1, 6):
            inbox.accept("{}", event_key=f"salesforce/{replay_id}", now=NOW + replay_id)
        numbers = [d.number for d in inbox.due(NOW + 10, limit=10, busy=())]
        assert [d.number for d in inbox.due(NOW + 10, limit=2, busy=numbers[:2])] == numbers[2:4]


def test_the_ledger_remembers_captured_orders_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    first = ErpSalesOrder(internal_id="1001", tran_id="SO1001", status="Pending Fulfillment")
    with closing(open_database(path)) as database:
        ledger = Ledger(database)
        assert ledger.find("8015g00000AbCdEAAV") is None
        ledger.record("8015g00000AbCdEAAV", first)
        ledger.record("8015g00000AbCdEAAV", ErpSalesOrder("1002", "SO1002", "Billed"))

    with closing(open_database(path)) as database:
        assert Ledger(database).find("8015g00000AbCdEAAV") == first


def test_deliveries_keep_their_source_and_topic_and_an_older_state_file_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with closing(open_database(path)) as database:  # the inbox as W1 alone wrote it
        database.executescript(
            "CREATE TABLE inbox (delivery INTEGER PRIMARY KEY AUTOINCREMENT, event_key TEXT UNIQUE,"
            " body TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
            " next_attempt_at REAL NOT NULL, last_error TEXT, received_at REAL NOT NULL);"
            "INSERT INTO inbox (event_key, body, next_attempt_at, received_at)"
            f" VALUES ('salesforce/1', '{{}}', {NOW}, {NOW});"
        )

    with inbox_at(path) as inbox:
        assert inbox.accept("{}", event_key="wms/order_shipped/ab", now=NOW, source="wms", topic="order_shipped")
        due = inbox.due(NOW, limit=10, busy=())

    assert [(d.source, d.topic) for d in due] == [("salesforce", None), ("wms", "order_shipped")]
