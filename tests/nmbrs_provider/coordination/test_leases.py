"""The lease rows in a real PostgreSQL: joins, lowered shares held for a window, releases."""

from __future__ import annotations

import psycopg2
import pytest

from nmbrs_provider.coordination import leases


@pytest.fixture
def conn(warehouse_db):
    connection = psycopg2.connect(**warehouse_db.connect_kwargs())
    leases.apply_schema(connection)
    leases.apply_schema(connection)  # idempotent
    yield connection
    connection.close()


def nothing(_share: int) -> int:
    return 0  # no call in the last window


def sent(calls: int):
    """A task that started ``calls`` calls in the last window (and lowers to what it is told)."""
    return lambda _share: calls


def test_a_newcomer_waits_until_the_calls_at_the_old_share_have_left_the_window(conn):
    first = leases.join(conn, "acct", "first", 40, nothing)
    assert first.share == 40  # alone: everything
    second = leases.join(conn, "acct", "second", 40, nothing)
    assert second.share == 0  # the first still sends at 40
    lowered: list[int] = []

    def lowers(share: int) -> int:
        lowered.append(share)
        return 40  # it sent 40 in the last window: they still count

    assert leases.renew(conn, "acct", first.lease_id, lowers).share == 20
    assert lowered == [20]  # told before the commit: it lowers before anyone may take more
    # Lowered, but its calls at 40 are still in the window: nothing free yet.
    assert leases.renew(conn, "acct", second.lease_id, nothing).share == 0
    # A window later it has only its 20 in the window: the newcomer gets the other 20.
    assert leases.renew(conn, "acct", first.lease_id, sent(20)).share == 20
    assert leases.renew(conn, "acct", second.lease_id, nothing).share == 20


def test_a_released_share_returns_after_the_window(conn, monkeypatch):
    monkeypatch.setattr(leases, "HOLD_SECONDS", 3600.0)
    first = leases.join(conn, "acct", "first", 40, nothing)
    second = leases.join(conn, "acct", "second", 40, nothing)
    leases.renew(conn, "acct", first.lease_id, nothing)
    assert leases.renew(conn, "acct", second.lease_id, nothing).share == 20
    leases.release(conn, second.lease_id, recent=15)
    # Its 15 calls of the last window still count: the first gets the rest at once.
    assert leases.renew(conn, "acct", first.lease_id, nothing).share == 25
    monkeypatch.setattr(leases, "HOLD_SECONDS", 0.0)
    leases.release(conn, second.lease_id, recent=15)
    # Released with no hold, it expires at once: the first gets everything back.
    assert leases.renew(conn, "acct", first.lease_id, nothing).share == 40


def test_a_task_that_asks_for_little_leaves_the_rest_to_the_other(conn):
    reader = leases.join(conn, "acct", "reading the warehouse", 40, nothing, demand=3)
    busy = leases.join(conn, "acct", "busy", 40, nothing, demand=None)
    assert leases.renew(conn, "acct", reader.lease_id, nothing, demand=3).share == 3
    assert leases.renew(conn, "acct", busy.lease_id, nothing, demand=None).share == 37
    # The reader starts calling: as it asks for more the busy one's share shrinks.
    assert leases.renew(conn, "acct", busy.lease_id, nothing, demand=None).share == 37
    assert leases.renew(conn, "acct", reader.lease_id, nothing, demand=40).share == 3
    assert leases.renew(conn, "acct", busy.lease_id, sent(20), demand=None).share == 20
    assert leases.renew(conn, "acct", reader.lease_id, nothing, demand=40).share == 20


def test_rows_of_an_older_worker_hold_their_lowered_share_for_the_window(conn, monkeypatch):
    # A worker of the version before claims were written lowers a share and only records
    # previous_share and lowered_at: its old share counts for HOLD_SECONDS.
    monkeypatch.setattr(leases, "HOLD_SECONDS", 3600.0)
    old = leases.join(conn, "acct", "older worker", 40, nothing)
    with conn, conn.cursor() as cursor:
        cursor.execute(
            "update nmbrs_sync.call_budget_leases set share = 20, previous_share = 40,"
            " lowered_at = now(), claim = null where lease_id = %s",
            (old.lease_id,),
        )
    new = leases.join(conn, "acct", "newer worker", 40, nothing)
    assert new.share == 0
    monkeypatch.setattr(leases, "HOLD_SECONDS", 0.0)
    assert leases.renew(conn, "acct", new.lease_id, nothing).share == 20


def test_an_expired_lease_is_lost_and_frees_its_share(conn, monkeypatch):
    first = leases.join(conn, "acct", "first", 40, nothing)
    with conn, conn.cursor() as cursor:  # as if its task died long enough ago
        cursor.execute(
            "update nmbrs_sync.call_budget_leases set expires_at = now() - interval '1 s'"
            " where lease_id = %s",
            (first.lease_id,),
        )
    with pytest.raises(leases.LeaseLost):
        leases.renew(conn, "acct", first.lease_id, nothing)
    assert leases.join(conn, "acct", "second", 40, nothing).share == 40


def test_accounts_do_not_share_budgets(conn):
    assert leases.join(conn, "a", "x", 40, nothing).share == 40
    assert leases.join(conn, "b", "y", 60, nothing).share == 60


def test_no_user_or_token_is_stored(conn, warehouse_db):
    from nmbrs_provider.coordination.scope import account_key

    leases.join(conn, account_key("http://h|a@example.com"), "host:1 dag/task", 40, nothing)
    rows = warehouse_db.query("select * from nmbrs_sync.call_budget_leases")
    assert "a@example.com" not in repr(rows)
