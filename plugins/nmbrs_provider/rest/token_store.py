"""Where OAuth grants live: ``nmbrs_sync.oauth_grant`` in the warehouse, tokens encrypted.

Every worker reaches the warehouse, so its row lock is the one lock all of them share: a
refresh holds ``select ... for update`` on the grant's row from reading the refresh token until
the rotated one is committed (:meth:`TokenStore.locked`).
"""

from __future__ import annotations

import getpass
import logging
import socket
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from nmbrs_provider.exceptions import NmbrsTransientError
from nmbrs_provider.rest.crypto import TokenCipher
from nmbrs_provider.rest.errors import NmbrsTokenStoreError

log = logging.getLogger(__name__)

SCHEMA_SQL = Path(__file__).resolve().parent.parent / "sql" / "oauth_grant_schema.sql"
TABLE = "nmbrs_sync.oauth_grant"
#: How long a process waits for another one's refresh before giving up.
LOCK_TIMEOUT_MS = 120_000
_COLUMNS = (
    "client_id, identity_url, scopes, refresh_token_enc, access_token_enc, generation, "
    "revoked_at is not null, revoked_reason, "
    "extract(epoch from access_expires_at - now()), "
    "extract(epoch from access_expires_at - access_issued_at)"
)


@dataclass(frozen=True)
class StoredGrant:
    """A grant as stored, tokens decrypted. ``repr`` shows no token."""

    conn_id: str
    client_id: str
    identity_url: str
    scopes: str
    refresh_token: str = field(repr=False)
    access_token: str | None = field(repr=False)
    generation: int
    revoked: bool
    revoked_reason: str | None
    #: seconds the access token is still valid for (database clock); None without one
    access_seconds_left: float | None
    access_lifetime: float | None


@dataclass(frozen=True)
class NewTokens:
    """What the token endpoint answered. ``repr`` shows no token."""

    access_token: str = field(repr=False)
    expires_in: float
    refresh_token: str = field(repr=False)
    scopes: str


class TokenStore:
    """Encrypted grants in the ``nmbrs_sync`` schema of ``postgres_conn_id``.

    :param cipher: the key; default :meth:`TokenCipher.from_environment`.
    """

    def __init__(self, postgres_conn_id: str, cipher: TokenCipher | None = None) -> None:
        self.postgres_conn_id = postgres_conn_id
        self._cipher = cipher
        self._schema_applied = False

    def __repr__(self) -> str:
        return f"TokenStore(postgres_conn_id={self.postgres_conn_id!r})"

    @cached_property
    def cipher(self) -> TokenCipher:
        """The cipher, resolved once (a missing key fails before any database call)."""
        return self._cipher or TokenCipher.from_environment()

    def describe(self) -> str:
        """Where the grants are, for people: table, connection, database and host."""
        try:
            conn = self._hook.get_connection(self.postgres_conn_id)
            where = f" (database {conn.schema or '?'} on {conn.host or '?'}:{conn.port or 5432})"
        except Exception:  # a description never fails
            where = ""
        return f"table {TABLE} of Postgres connection {self.postgres_conn_id!r}{where}"

    @cached_property
    def _hook(self) -> Any:
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        return PostgresHook(postgres_conn_id=self.postgres_conn_id)

    def _connect(self) -> Any:
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            return self._hook.get_conn()
        except AirflowNotFoundException:
            raise NmbrsTokenStoreError(
                f"Token store connection {self.postgres_conn_id!r} is not defined: create it "
                "(type Postgres, the warehouse) or set the REST connection's extra "
                "warehouse_conn_id."
            ) from None

    def apply_schema(self) -> None:
        """Create ``nmbrs_sync.oauth_grant`` when missing (idempotent), once per store."""
        if self._schema_applied:
            return
        with closing(self._connect()) as conn, conn, conn.cursor() as cursor:
            cursor.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        self._schema_applied = True

    # -- reading ------------------------------------------------------------------------------

    def read(self, conn_id: str) -> StoredGrant | None:
        """The grant of ``conn_id`` without locking it; None when never authorized."""
        self.apply_schema()
        with closing(self._connect()) as conn, conn, conn.cursor() as cursor:
            cursor.execute(f"select {_COLUMNS} from {TABLE} where conn_id = %s", (conn_id,))
            row = cursor.fetchone()
        return None if row is None else self._grant(conn_id, row)

    def _grant(self, conn_id: str, row: tuple[Any, ...]) -> StoredGrant:
        access = row[4]
        return StoredGrant(
            conn_id=conn_id,
            client_id=row[0],
            identity_url=row[1],
            scopes=row[2],
            refresh_token=self.cipher.decrypt(row[3], grant=conn_id),
            access_token=None if access is None else self.cipher.decrypt(access, grant=conn_id),
            generation=int(row[5]),
            revoked=bool(row[6]),
            revoked_reason=row[7],
            access_seconds_left=None if row[8] is None else float(row[8]),
            access_lifetime=None if row[9] is None else float(row[9]),
        )

    @contextmanager
    def locked(self, conn_id: str) -> Iterator[LockedGrant]:
        """Hold the row lock of ``conn_id``'s grant; what the block writes commits at its end.

        Raises :class:`KeyError` when the grant does not exist.
        """
        self.apply_schema()
        with closing(self._connect()) as conn:
            try:
                with conn.cursor() as cursor:
                    cursor.execute(f"set local lock_timeout = {int(LOCK_TIMEOUT_MS)}")
                    try:
                        cursor.execute(
                            f"select {_COLUMNS} from {TABLE} where conn_id = %s for update",
                            (conn_id,),
                        )
                    except Exception as exc:
                        if _sqlstate(exc) != "55P03":  # lock_not_available
                            raise
                        raise NmbrsTransientError(
                            f"Another process has been refreshing the Nmbrs grant of connection "
                            f"{conn_id!r} for over {LOCK_TIMEOUT_MS // 1000}s; try again later."
                        ) from None
                    row = cursor.fetchone()
                    if row is None:
                        raise KeyError(conn_id)
                    yield LockedGrant(self, cursor, self._grant(conn_id, row))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    # -- writing ------------------------------------------------------------------------------

    def save_authorized(
        self, conn_id: str, client_id: str, identity_url: str, tokens: NewTokens
    ) -> None:
        """Store (or replace) the grant ``authorize`` obtained; clears a revocation."""
        self.apply_schema()
        enc = self.cipher.encrypt
        with closing(self._connect()) as conn, conn, conn.cursor() as cursor:
            cursor.execute(
                f"""
                insert into {TABLE} as g (conn_id, client_id, identity_url, scopes,
                    refresh_token_enc, access_token_enc, access_issued_at, access_expires_at,
                    authorized_by)
                values (%(conn_id)s, %(client_id)s, %(identity_url)s, %(scopes)s, %(refresh)s,
                    %(access)s, now(), now() + make_interval(secs => %(expires_in)s), %(by)s)
                on conflict (conn_id) do update set
                    client_id = excluded.client_id, identity_url = excluded.identity_url,
                    scopes = excluded.scopes, refresh_token_enc = excluded.refresh_token_enc,
                    access_token_enc = excluded.access_token_enc,
                    access_issued_at = excluded.access_issued_at,
                    access_expires_at = excluded.access_expires_at,
                    generation = g.generation + 1, authorized_at = now(),
                    authorized_by = excluded.authorized_by, refreshed_at = null,
                    revoked_at = null, revoked_reason = null, updated_at = now()
                """,
                {
                    "conn_id": conn_id,
                    "client_id": client_id,
                    "identity_url": identity_url,
                    "scopes": tokens.scopes,
                    "refresh": enc(tokens.refresh_token, grant=conn_id),
                    "access": enc(tokens.access_token, grant=conn_id),
                    "expires_in": float(tokens.expires_in),
                    "by": _who(),
                },
            )
        log.info("Stored the Nmbrs grant of connection %s in %s", conn_id, self.describe())


class LockedGrant:
    """A grant whose row lock this process holds (see :meth:`TokenStore.locked`)."""

    def __init__(self, store: TokenStore, cursor: Any, grant: StoredGrant) -> None:
        self._store, self._cursor, self.grant = store, cursor, grant

    def __repr__(self) -> str:
        return f"LockedGrant({self.grant!r})"

    def replace(self, tokens: NewTokens) -> None:
        """The rotated tokens in place of the old ones (committed when the lock is released)."""
        conn_id = self.grant.conn_id
        enc = self._store.cipher.encrypt
        self._cursor.execute(
            f"""
            update {TABLE} set refresh_token_enc = %(refresh)s, access_token_enc = %(access)s,
                scopes = %(scopes)s, access_issued_at = now(),
                access_expires_at = now() + make_interval(secs => %(expires_in)s),
                generation = generation + 1, refreshed_at = now(), updated_at = now()
            where conn_id = %(conn_id)s and generation = %(generation)s
            """,
            {
                "refresh": enc(tokens.refresh_token, grant=conn_id),
                "access": enc(tokens.access_token, grant=conn_id),
                "scopes": tokens.scopes,
                "expires_in": float(tokens.expires_in),
                "conn_id": conn_id,
                "generation": self.grant.generation,
            },
        )
        if self._cursor.rowcount != 1:  # impossible while the row lock is held
            raise NmbrsTokenStoreError(
                f"The grant of connection {conn_id!r} changed under its lock"
            )

    def mark_revoked(self, reason: str) -> None:
        """Record that the identity server refused the grant (no process tries it again)."""
        self._cursor.execute(
            f"""
            update {TABLE} set revoked_at = now(), revoked_reason = %s, access_token_enc = null,
                access_expires_at = null, updated_at = now()
            where conn_id = %s
            """,
            (reason[:500], self.grant.conn_id),
        )


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a psycopg2 or psycopg 3 error."""
    return getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)


def _who() -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "?"
    return f"{user}@{socket.gethostname()}"
