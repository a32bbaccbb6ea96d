"""PostgresStore beyond the contract: its layout, notifications, and what goes wrong."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

if os.environ.get("MENTORFLOW_REQUIRE_POSTGRES") != "1":
    pytest.importorskip(
        "psycopg", reason='psycopg is not installed: pip install "mentorflow[postgres]"'
    )
import psycopg

from conftest import PostgresServer
from mentorflow import (
    ConcurrencyError,
    CorruptStoreError,
    Phase,
    PostgresStore,
    Programme,
    StoreChange,
    StoreError,
    StoreSchemaError,
    StoreUnavailableError,
)
from mentorflow._simulation import inclucities as _inclucities
from mentorflow._storage import postgres as postgres_module
from mentorflow.testing import snapshot

pytestmark = pytest.mark.postgres

DEFINITION = {"schema": 2, "name": "test"}
Make = Callable[..., PostgresStore]


def events(start: int, count: int) -> list[dict[str, object]]:
    return [{"seq": start + i, "type": "Test", "n": start + i} for i in range(count)]


@pytest.fixture
def raw(postgres_server: PostgresServer) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A plain connection to the server, beside the store (autocommit)."""
    with psycopg.connect(postgres_server.dsn, autocommit=True) as db:
        yield db


class TestLayout:
    """The store's tables: created by versioned DDL, refused when newer."""

    def test_created_once(self, postgres_stores: Make, raw: psycopg.Connection) -> None:
        """Eight threads opening a new store at once create it once, at the newest layout
        (each version of DDL applied once)."""
        made: list[PostgresStore] = []
        errors: list[BaseException] = []

        def open_it() -> None:
            try:
                made.append(postgres_stores())
            except BaseException as err:
                errors.append(err)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [] == errors
        schema = made[0].schema
        layout = raw.execute(f'SELECT version FROM "{schema}".layout'.encode()).fetchall()
        assert [(1,), (2,)] == layout
        tables = raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "ORDER BY table_name",
            (schema,),
        ).fetchall()
        names = ["archived", "events", "layout", "programmes", "snapshots"]
        assert [(name,) for name in names] == tables

    def test_newer_layout(self, postgres_stores: Make, raw: psycopg.Connection) -> None:
        """A store of a newer layout is refused, naming both versions, and left alone."""
        store = postgres_stores()
        store.create("p", DEFINITION, events(1, 2))
        newer = postgres_module.LAYOUT + 1
        raw.execute(f'INSERT INTO "{store.schema}".layout (version) VALUES (%s)'.encode(), (newer,))
        with pytest.raises(StoreSchemaError) as info:
            postgres_stores()
        assert (newer, postgres_module.LAYOUT) == (info.value.found, info.value.supported)
        assert "upgrade mentorflow" in str(info.value)
        assert 2 == store.version("p")

    def test_upgraded(
        self, postgres_stores: Make, raw: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A store of an older layout is upgraded by the versions of DDL it lacks, once, and
        keeps its programmes."""
        store = postgres_stores()
        store.create("p", DEFINITION, events(1, 2))
        index = "CREATE INDEX events_by_schema ON {s}.events (schema)"
        newer = postgres_module.LAYOUT + 1
        monkeypatch.setitem(postgres_module.MIGRATIONS, newer, (index,))
        monkeypatch.setattr(postgres_module, "LAYOUT", newer)
        upgraded = postgres_stores()
        postgres_stores()  # opening again applies nothing more
        schema = upgraded.schema
        assert [(v,) for v in range(1, newer + 1)] == raw.execute(
            f'SELECT version FROM "{schema}".layout ORDER BY version'.encode()
        ).fetchall()
        assert raw.execute(
            "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = 'events_by_schema'",
            (schema,),
        ).fetchone()
        assert events(1, 2) == [dict(e) for e in upgraded.read("p").events]

    def test_create_or_open(self, postgres_stores: Make) -> None:
        """create=False opens only, create=True creates only."""
        with pytest.raises(StoreUnavailableError, match=r"no mentorflow store.*create=True"):
            postgres_stores(create=False)
        postgres_stores(create=True).create("p", DEFINITION)
        with pytest.raises(StoreError, match="exists already"):
            postgres_stores(create=True)
        assert ["p"] == postgres_stores(create=False).keys()

    @pytest.mark.parametrize("schema", ["Mentorflow", "a-b", "1st", "x; DROP TABLE y", ""])
    def test_bad_schema_name(self, postgres_server: PostgresServer, schema: str) -> None:
        """A schema name must be a plain lower-case identifier."""
        with pytest.raises(StoreError, match="not a schema name"):
            PostgresStore(postgres_server.dsn, schema=schema)


class TestBadInput:
    """What can't be done is a StoreError subclass naming the problem; nothing is written."""

    def test_nothing_listening(self, tmp_path: object) -> None:
        """A server that isn't there is a StoreUnavailableError naming it, quickly."""
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError) as info:
            PostgresStore(f"host={tmp_path} port=5999 user=x dbname=office", timeout=2)
        assert time.monotonic() - started < 10
        assert f"postgresql://{tmp_path}:5999/office" in str(info.value)

    def test_password_not_in_message(self, tmp_path: object) -> None:
        """The message names the server, never the password."""
        with pytest.raises(StoreUnavailableError) as info:
            PostgresStore(f"host={tmp_path} port=5999 password=hunter2 dbname=x", timeout=1)
        assert "hunter2" not in str(info.value)

    def test_no_such_database(self, postgres_server: PostgresServer) -> None:
        """A database that doesn't exist is named."""
        dsn = postgres_server.dsn.replace("dbname=postgres", "dbname=nowhere")
        if dsn == postgres_server.dsn:
            pytest.skip("the server's DSN names no dbname=postgres to replace")
        with pytest.raises(StoreUnavailableError, match="nowhere"):
            PostgresStore(dsn, timeout=5)

    def test_not_a_dsn(self) -> None:
        """A string that is not a connection string is refused before connecting."""
        with pytest.raises(StoreError, match="not a PostgreSQL connection string"):
            PostgresStore("host=x = = =")

    def test_text_that_cannot_be_stored(self, postgres_stores: Make) -> None:
        """A lone surrogate is a StoreError; nothing is appended."""
        store = postgres_stores()
        store.create("p", DEFINITION)
        with pytest.raises(StoreError):
            store.append("p", [{"seq": 1, "note": "\ud800"}], expected_version=0)
        assert 0 == store.version("p")

    def test_damaged_rows(self, postgres_stores: Make, raw: psycopg.Connection) -> None:
        """A body that is not JSON, a gap, and a version behind its events are named."""
        store = postgres_stores()
        store.create("p", DEFINITION, events(1, 3))
        events_table = f'"{store.schema}".events'
        raw.execute(f"UPDATE {events_table} SET body = '{{oops' WHERE seq = 2".encode())
        with pytest.raises(CorruptStoreError, match="programme 'p', event 2: not JSON"):
            store.read("p")
        raw.execute(f"DELETE FROM {events_table} WHERE seq = 2".encode())
        with pytest.raises(CorruptStoreError, match="event 2: missing"):
            store.read("p")
        store.create("q", DEFINITION, events(1, 2))
        raw.execute(
            f"UPDATE \"{store.schema}\".programmes SET version = 1 WHERE key = 'q'".encode()
        )
        with pytest.raises(CorruptStoreError, match="events after version 1 exist"):
            store.append("q", events(2, 1), expected_version=1)

    def test_deeply_nested(self, postgres_stores: Make, raw: psycopg.Connection) -> None:
        """A deeply nested body or definition is a CorruptStoreError naming it, not a
        RecursionError; a deeply nested document to append is a StoreError."""
        store = postgres_stores()
        store.create("p", DEFINITION, events(1, 3))
        nested = "[" * 100_000 + "]" * 100_000
        table = f'"{store.schema}"'
        raw.execute(f"UPDATE {table}.events SET body = %s WHERE seq = 2".encode(), (nested,))
        with pytest.raises(CorruptStoreError, match="programme 'p', event 2: nested too deeply"):
            store.read("p")
        raw.execute(f"UPDATE {table}.programmes SET definition = %s".encode(), (nested,))
        with pytest.raises(CorruptStoreError, match="programme 'p', definition: nested too"):
            store.read("p")
        document: list[object] = []
        for _ in range(100_000):
            document = [document]
        with pytest.raises(StoreError, match="nested too deeply"):
            store.append("p", [{"seq": 4, "x": document}], expected_version=3)
        assert 3 == store.version("p")

    def test_the_database_refuses_duplicates(
        self, postgres_stores: Make, raw: psycopg.Connection
    ) -> None:
        """The (key, seq) key is the database's: a second event 1 can't be inserted at all."""
        store = postgres_stores()
        store.create("p", DEFINITION, events(1, 1))
        with pytest.raises(psycopg.errors.UniqueViolation):
            raw.execute(
                f"INSERT INTO \"{store.schema}\".events VALUES ('p', 1, 2, '{{}}')".encode()
            )

    def test_closed(self, postgres_stores: Make) -> None:
        """A closed store refuses every call."""
        store = postgres_stores()
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.keys()


@pytest.fixture
def owned(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The server, when the tests started it (so may stop it); started again afterwards."""
    cluster = postgres_server.cluster
    if cluster is None:
        pytest.skip(
            "stops the server: needs the cluster the tests start themselves (unset "
            "MENTORFLOW_TEST_POSTGRES)"
        )
    yield postgres_server
    try:
        with psycopg.connect(postgres_server.dsn, connect_timeout=2):
            pass
    except psycopg.OperationalError:
        cluster.start()


class TestServerGoesAway:
    """A server that stops: every call a StoreUnavailableError, nothing half-written, and
    the same store object works again once the server is back."""

    def test_killed_during_an_append(
        self, owned: PostgresServer, postgres_stores: Make, raw: psycopg.Connection
    ) -> None:
        """The server is killed while an append waits inside its transaction: the append is
        a StoreUnavailableError, and after the restart the log is as it was before it."""
        assert owned.cluster is not None
        store = postgres_stores()
        store.create("p", DEFINITION, events(1, 2))
        blocker = psycopg.connect(owned.dsn)  # holds the programme's row: the append waits
        blocker.execute(
            f"SELECT * FROM \"{store.schema}\".programmes WHERE key = 'p' FOR UPDATE".encode()
        )
        outcome: list[BaseException | int] = []

        def append() -> None:
            try:
                outcome.append(store.append("p", events(3, 500), expected_version=2))
            except BaseException as err:
                outcome.append(err)

        thread = threading.Thread(target=append)
        thread.start()
        for _ in range(200):  # until the append is inside its statement, waiting for the lock
            waiting = raw.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the append never waited for the lock")
        owned.cluster.kill()
        thread.join(timeout=30)
        blocker.close()
        (error,) = outcome
        assert isinstance(error, StoreUnavailableError)
        assert "committed whole or not at all" in str(error)
        assert "appending to 'p'" in str(error)
        owned.cluster.start()
        assert 2 == store.version("p")  # the same store: its pool replaced the dead connections
        assert events(1, 2) == [dict(e) for e in store.read("p").events]
        assert 3 == store.append("p", events(3, 1), expected_version=2)

    def test_down_between_calls(self, owned: PostgresServer, postgres_stores: Make) -> None:
        """While the server is down every call fails within the timeout; then all is well."""
        assert owned.cluster is not None
        store = postgres_stores(timeout=2)
        store.create("p", DEFINITION)
        owned.cluster.kill()
        try:
            for call in (
                lambda: store.version("p"),
                lambda: store.append("p", events(1, 1), expected_version=0),
                lambda: store.read("p"),
            ):
                started = time.monotonic()
                with pytest.raises(StoreUnavailableError, match="can't be reached"):
                    call()
                assert time.monotonic() - started < 10
        finally:
            owned.cluster.start()
        # the pool reconnects in the background, backing off while the server was down
        deadline = time.monotonic() + 30
        while True:
            try:
                assert 1 == store.append("p", events(1, 1), expected_version=0)
                break
            except StoreUnavailableError as err:
                assert "nothing was sent" not in str(err)
                if time.monotonic() > deadline:
                    raise


class TestWatch:
    """Notifications: another process learns that a programme changed."""

    def test_changes(self, postgres_stores: Make) -> None:
        """A create, appends and a delete, each seen once, in order, with the new version."""
        store = postgres_stores()
        with store.watch() as watch:
            other = postgres_stores()
            other.create("p", DEFINITION, events(1, 2))
            other.append("p", events(3, 1), expected_version=2)
            with pytest.raises(ConcurrencyError):
                other.append("p", events(3, 1), expected_version=2)
            other.delete("p")
            seen: list[StoreChange] = []
            deadline = time.monotonic() + 10
            while len(seen) < 3 and time.monotonic() < deadline:
                seen.extend(watch.wait(timeout=1))
        assert [StoreChange("p", 2), StoreChange("p", 3), StoreChange("p", None)] == seen

    def test_nothing_happens(self, postgres_stores: Make) -> None:
        """With no change, wait returns nothing after its timeout."""
        with postgres_stores().watch() as watch:
            started = time.monotonic()
            assert [] == watch.wait(timeout=0.2)
            assert 0.15 < time.monotonic() - started < 5

    def test_another_process_then_refresh(
        self, postgres_server: PostgresServer, postgres_stores: Make
    ) -> None:
        """A process learns from its watch that another changed the programme, and refresh
        brings exactly that change."""
        store = postgres_stores()
        here = _inclucities.programme()
        here.persist(store, "inclucities")
        script = textwrap.dedent(
            f"""
            import pendulum
            from mentorflow import Phase, PostgresStore, Programme
            store = PostgresStore({postgres_server.dsn!r}, schema={store.schema!r})
            there = Programme.restore(store, "inclucities")
            at = pendulum.datetime(2020, 9, 30, 17, tz="Europe/Brussels")
            there.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=at)
            """
        )
        with store.watch() as watch:
            subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
            changes = watch.wait(timeout=10)
        assert [StoreChange("inclucities", 10)] == changes
        assert [9, 10] == [e.seq for e in here.refresh()]
        assert Phase.MATCHING == here.pair("mechelen-capaci").phase
        assert Programme.restore(store, "inclucities").history[:] == here.history[:]


def test_fork_makes_a_new_pool(postgres_stores: Make) -> None:
    """A child process forked from one that used the store appends through its own
    connections, and the parent's still work."""
    store = postgres_stores()
    store.create("p", DEFINITION)
    with warnings.catch_warnings():  # Python 3.12 warns of fork() with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            store.append("p", events(1, 1), expected_version=0)
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert 0 == os.waitstatus_to_exitcode(status)
    assert 2 == store.append("p", events(2, 1), expected_version=1)


def test_programme_over_postgres(postgres_stores: Make) -> None:
    """The IncluCities demo, persisted, played and restored."""
    store = postgres_stores()
    live = _inclucities.programme()
    live.persist(store, "inclucities")
    _inclucities.play(live)
    restored = Programme.restore(store, "inclucities", clock=live.clock)
    assert snapshot(live) == snapshot(restored)
    assert live.history[:] == restored.history[:]


def test_the_how_to_examples(postgres_server: PostgresServer, postgres_stores: Make) -> None:
    """The PostgreSQL examples of docs/how-to/stores.md run (in this test's own schema), after
    the page's first example, which they build on."""
    page = (Path(__file__).parents[1] / "docs" / "how-to" / "stores.md").read_text()
    schema = postgres_stores().schema
    namespace: dict[str, object] = {"dsn": postgres_server.dsn}
    setup = page.split("```pycon\n", 1)[1].split("```", 1)[0]
    for example in doctest.DocTestParser().get_examples(setup):
        exec(example.source, namespace)
    section = page.split("## PostgresStore", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]
    assert 2 == len(blocks)
    for block in blocks:
        code = block.replace("PostgresStore(dsn)", f"PostgresStore(dsn, schema={schema!r})")
        exec(compile(code, "stores.md", "exec"), namespace)
    namespace["tmp"].cleanup()  # type: ignore[attr-defined]
