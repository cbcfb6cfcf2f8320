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


def nothing(_share: int) -> None:
    pass


def test_a_newcomer_waits_until_the_lowered_share_has_left_the_window(conn, monkeypatch):
    monkeypatch.setattr(leases, "HOLD_SECONDS", 3600.0)  # "still in the window", however slow
    first = leases.join(conn, "acct", "first", 40, nothing)
    assert first.share == 40  # alone: everything
    second = leases.join(conn, "acct", "second", 40, nothing)
    assert second.share == 0  # the first still sends at 40
    lowered: list[int] = []
    assert leases.renew(conn, "acct", first.lease_id, lowered.append).share == 20
    assert lowered == [20]  # told before the commit: it lowers before anyone may take more
    # Lowered, but its calls at 40 are still in the window: nothing free yet.
    assert leases.renew(conn, "acct", second.lease_id, nothing).share == 0
    assert leases.renew(conn, "acct", first.lease_id, nothing).share == 20
    monkeypatch.setattr(leases, "HOLD_SECONDS", 0.0)  # the window has passed
    assert leases.renew(conn, "acct", second.lease_id, nothing).share == 20


def test_a_released_share_returns_after_the_window(conn, monkeypatch):
    monkeypatch.setattr(leases, "HOLD_SECONDS", 3600.0)
    first = leases.join(conn, "acct", "first", 40, nothing)
    second = leases.join(conn, "acct", "second", 40, nothing)
    leases.renew(conn, "acct", first.lease_id, nothing)
    monkeypatch.setattr(leases, "HOLD_SECONDS", 0.0)
    assert leases.renew(conn, "acct", second.lease_id, nothing).share == 20
    monkeypatch.setattr(leases, "HOLD_SECONDS", 3600.0)
    leases.release(conn, second.lease_id)
    assert leases.renew(conn, "acct", first.lease_id, nothing).share == 20  # still held
    monkeypatch.setattr(leases, "HOLD_SECONDS", 0.0)
    # The released lease expires at once with no hold: the first gets everything back.
    assert leases.renew(conn, "acct", first.lease_id, nothing).share == 40


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
