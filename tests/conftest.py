"""Shared fixtures and hypothesis profiles (``--hypothesis-profile=ci`` in CI, ``dev`` locally)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import HealthCheck, settings

from mentorflow import (
    JsonLinesStore,
    ManualClock,
    MemoryStore,
    PostgresStore,
    Programme,
    SQLiteStore,
    Store,
)
from pg_cluster import ENABLE, Cluster, ClusterUnavailable

from helpers import START, TZ

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fast", max_examples=15, deadline=None)
settings.load_profile("dev")


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at the IncluCities kick-off."""
    return ManualClock(START)


@pytest.fixture
def programme(clock: ManualClock) -> Programme:
    """An empty programme with the default lifecycle on the manual clock."""
    return Programme(
        "Test",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=clock,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs a PostgreSQL server (see the postgres_server fixture)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL server (``-m postgres`` runs only them)."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()) or "[postgres" in item.name:
            item.add_marker(pytest.mark.postgres)


@attrs.frozen
class PostgresServer:
    """The tests' PostgreSQL server: its DSN, and the cluster when the tests started it."""

    dsn: str
    cluster: Cluster | None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session: the one named by ``MENTORFLOW_TEST_POSTGRES``, or
    a throwaway cluster started here (each xdist worker starts its own).

    Where there is neither, the tests that use it skip, saying how to enable them; with
    ``MENTORFLOW_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) they fail instead.
    """
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        _unavailable('psycopg is not installed (pip install "mentorflow[postgres]")')
    dsn = os.environ.get("MENTORFLOW_TEST_POSTGRES")
    if dsn:
        yield PostgresServer(dsn, None)
        return
    try:
        cluster = Cluster().start()
    except ClusterUnavailable as err:
        _unavailable(str(err))
    try:
        yield PostgresServer(cluster.dsn, cluster)
    finally:
        cluster.stop()


def _unavailable(reason: str) -> None:
    message = f"no PostgreSQL server: {reason}. To run these tests, {ENABLE}"
    if os.environ.get("MENTORFLOW_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (MENTORFLOW_REQUIRE_POSTGRES=1: required)", pytrace=False)
    pytest.skip(message)


_schemas = itertools.count()


@pytest.fixture
def postgres_stores(postgres_server: PostgresServer) -> Iterator[Callable[..., PostgresStore]]:
    """A factory of `PostgresStore` s on one schema of this test's own (dropped afterwards),
    each closed at the end of the test."""
    schema = f"test_{os.getpid()}_{next(_schemas)}"
    made: list[PostgresStore] = []

    def make(**options: Any) -> PostgresStore:
        options.setdefault("schema", schema)
        options.setdefault("timeout", 10.0)
        store = PostgresStore(postgres_server.dsn, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
    import psycopg

    with psycopg.connect(postgres_server.dsn, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@pytest.fixture(params=["memory", "jsonl", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """A factory of stores of one kind, each a new store object on the same data (the same
    object for `MemoryStore`, whose data is its own)."""
    kind = request.param
    if kind == "memory":
        shared = MemoryStore()
        return lambda: shared
    if kind == "jsonl":
        return lambda: JsonLinesStore(tmp_path / "logs")
    if kind == "postgres":
        factory: Callable[[], Store] = request.getfixturevalue("postgres_stores")
        return factory
    return lambda: SQLiteStore(tmp_path / "store.db")


# tests/typing is only type-checked (by mypy in the typing session), never run.
collect_ignore = ["typing"]
