"""A child process for the store tests: appends to a store, and says what was acknowledged.

python store_worker.py crash KIND PATH KEY      append batches until killed; print "ack N"
python store_worker.py race KIND PATH KEY NAME COUNT   append COUNT events, retrying

KIND is jsonl, sqlite or postgres; for postgres, PATH is the DSN and the schema is in the
environment variable MENTORFLOW_TEST_SCHEMA.
"""

from __future__ import annotations

import os
import random
import sys

from mentorflow import ConcurrencyError, JsonLinesStore, PostgresStore, SQLiteStore, Store


def open_store(kind: str, path: str) -> Store:
    if kind == "postgres":
        return PostgresStore(path, schema=os.environ["MENTORFLOW_TEST_SCHEMA"])
    return JsonLinesStore(path) if kind == "jsonl" else SQLiteStore(path)


def crash(store: Store, key: str) -> None:
    """Append batches of 1 to 3 events as fast as possible; each ack is flushed at once."""
    version = store.version(key)
    rng = random.Random()
    while True:
        size = rng.randint(1, 3)
        batch = [
            {"seq": version + i, "type": "Test", "payload": "x" * rng.randint(1, 400)}
            for i in range(1, size + 1)
        ]
        version = store.append(key, batch, expected_version=version)
        print(f"ack {version}", flush=True)


def race(store: Store, key: str, name: str, count: int) -> None:
    """Append ``count`` events one by one, retrying on conflicts; print how many retries."""
    conflicts = 0
    done = 0
    while done < count:
        version = store.version(key)
        event = {"seq": version + 1, "type": "Test", "writer": name, "n": done}
        try:
            store.append(key, [event], expected_version=version)
        except ConcurrencyError:
            conflicts += 1
            continue
        done += 1
    print(f"done {done} conflicts {conflicts}", flush=True)


if __name__ == "__main__":
    mode, kind, path, key, *rest = sys.argv[1:]
    target = open_store(kind, path)
    if mode == "crash":
        crash(target, key)
    else:
        race(target, key, rest[0], int(rest[1]))
