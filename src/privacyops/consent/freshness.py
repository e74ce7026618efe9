"""Consent changes heard across processes on PostgreSQL: NOTIFY at commit, one LISTEN per process.

A transaction that changes a subject's decisions runs ``pg_notify`` on
``CHANNEL`` with the subject id (``*`` for everything, e.g. a new policy
version); PostgreSQL delivers it when, and only if, that transaction commits.
Each process keeps one listening connection (``Listener``, a daemon thread per
database URL) that drops the subject's cache entries in every checker of the
process.

Closing the race: the notification reaches this process's socket a moment
after the writer's commit, while a request through this worker may already be
checking. So ``Listener.fresh`` (called before a cached answer is served) polls
the socket without blocking and applies whatever is already there. If the
listener is disconnected, or its lock is busy, ``fresh`` is false and the check
reads the database instead of the cache; after a reconnect every entry is
dropped, since notifications sent meanwhile were lost.

On SQLite nothing is sent and there is no listener: checks keep their TTL.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import Connection, func
from sqlalchemy import select as sql_select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from privacyops.vault import hooks

log = logging.getLogger(__name__)

CHANNEL = "privacyops_consent"
EVERYTHING = "*"
RECONNECT_SECONDS = 1.0
# A notification being applied by the listener thread takes microseconds: wait for it rather
# than answer uncached; a lock held longer (a reconnect) means the cache is not to be trusted.
_DRAIN_WAIT = 0.05
#: The longest a writer waits for its own notification to come back.
AWAIT_SECONDS = 1.0


def _key(url: URL) -> str:
    return str(url.render_as_string(hide_password=False))


def _statement(subject_id: str | None, token: str) -> Any:
    return sql_select(func.pg_notify(CHANNEL, f"{subject_id or EVERYTHING} {token}"))


def notify(session: Session, subject_id: str | None) -> None:
    """Tell every process, at commit, that the subject's decisions (None: all) changed."""
    if session.get_bind().dialect.name == "postgresql":
        token = secrets.token_hex(8)
        session.execute(_statement(subject_id, token))
        _await_after_commit(session, token)


def notify_on(connection: Connection, subject_id: str | None, session: Session | None) -> None:
    """The same from inside a flush (mapper events get the connection, not the session)."""
    if connection.dialect.name == "postgresql":
        token = secrets.token_hex(8)
        connection.execute(_statement(subject_id, token))
        if session is not None:
            _await_after_commit(session, token)


def _await_after_commit(session: Session, token: str) -> None:
    key = _key(session.get_bind().engine.url)
    hooks.after_commit(session, lambda: _await(key, token))


def _await(key: str, token: str) -> None:
    """Hold the writer's answer until this process has heard its own notification.

    PostgreSQL signals every listening server process in the same loop at commit;
    waiting for our own copy means the other processes' copies are on their
    sockets by the time our client can ask another worker. Skipped when no
    listener runs here (a CLI command) or it is down (then the others read the
    database anyway).
    """
    listener = _listeners.get(key)
    if listener is not None:
        listener.wait_for(token, AWAIT_SECONDS)


def conninfo(url: str) -> str:
    """A libpq URI for a SQLAlchemy PostgreSQL URL, with keepalives so a dead peer is noticed."""
    plain = make_url(url).set(drivername="postgresql")
    query = {
        "keepalives": "1",
        "keepalives_idle": "10",
        "keepalives_interval": "5",
        "keepalives_count": "3",
        **plain.query,
    }
    return str(plain.set(query=query).render_as_string(hide_password=False))


class Listener:
    """One LISTEN connection and the thread that waits on it; see the module docstring."""

    def __init__(self, url: str, on_change: Callable[[str | None], None]) -> None:
        self._conninfo = conninfo(url)
        self._on_change = on_change
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._poll: Any = None
        self._connected = False
        self._stop = threading.Event()
        self.reconnects = 0
        self.heard = 0
        self._tokens: deque[str] = deque(maxlen=4096)
        self._arrived = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="consent-listener", daemon=True)
        self._thread.start()

    @property
    def connected(self) -> bool:
        return self._connected

    def backend_pid(self) -> int | None:
        """The server process of the listening connection (the tests end it to simulate a loss)."""
        conn = self._conn
        return conn.pgconn.backend_pid if conn is not None and self._connected else None

    def fresh(self) -> bool:
        """Apply notifications already received; false if cached answers must not be used."""
        if not self._connected or not self._lock.acquire(timeout=_DRAIN_WAIT):
            return False
        try:
            if self._poll is not None and self._poll.poll(0):
                self._drain()
            return self._connected
        finally:
            self._lock.release()

    def wait_for(self, token: str, seconds: float) -> bool:
        """Wait until the notification carrying ``token`` has been applied here."""
        deadline = time.monotonic() + seconds
        while self._connected:
            self.fresh()
            with self._arrived:
                if token in self._tokens:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(min(left, 0.005))
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _drain(self) -> None:
        """Read what the socket holds and apply it; the caller holds ``_lock``."""
        conn = self._conn
        if conn is None:
            return
        pgconn = conn.pgconn
        try:
            pgconn.consume_input()
        except psycopg.OperationalError:
            self._connected = False
            return
        tokens = []
        while (note := pgconn.notifies()) is not None:
            subject, _, token = note.extra.decode().partition(" ")
            self._on_change(None if subject == EVERYTHING else subject)
            self.heard += 1  # counted once acted on: a waiter then sees the invalidation done
            tokens.append(token)
        if tokens:
            with self._arrived:
                self._tokens.extend(tokens)
                self._arrived.notify_all()
        if pgconn.status != pq.ConnStatus.OK:
            self._connected = False

    def _connect(self) -> None:
        conn = psycopg.Connection.connect(self._conninfo, autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        poll = select.poll()
        poll.register(conn.pgconn.socket, select.POLLIN)
        with self._lock:
            self._conn, self._poll = conn, poll
            self._on_change(None)  # whatever was sent while we were away is lost
            self._connected = True

    def _close(self) -> None:
        with self._lock:
            self._connected = False
            conn, self._conn, self._poll = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._connect()
                socket = self._conn.pgconn.socket if self._conn is not None else -1
                while not self._stop.is_set() and self._connected:
                    ready, _, _ = select.select([socket], [], [], 1.0)
                    if ready:
                        with self._lock:
                            self._drain()
            except (psycopg.Error, OSError, ValueError) as error:
                log.warning("consent listener lost its connection: %s", error)
            except Exception:  # a failing callback must not end the thread for good
                log.exception("consent listener failed; reconnecting")
            self._close()
            if not self._stop.is_set():
                self.reconnects += 1
                self._stop.wait(RECONNECT_SECONDS)


_listeners: dict[str, Listener] = {}
_listeners_lock = threading.Lock()


def listener_for(url: str, on_change: Callable[[str | None], None]) -> Listener:
    """The process's listener for this database, started on first use."""
    key = _key(make_url(url))
    with _listeners_lock:
        found = _listeners.get(key)
        if found is None:
            found = _listeners[key] = Listener(url, on_change)
        return found
