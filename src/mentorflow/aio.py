"""mentorflow for asyncio services: awaitable commands, restore, refresh and deadline checks.

`AsyncProgramme` drives a `mentorflow.Programme` from an event loop. Its store I/O never
blocks the loop: a command runs in a thread of the loop's default executor (SQLite and JSON
Lines write there), and a `PostgresStore`'s appends are awaited on the loop itself, through
psycopg's asyncio API. Hooks subscribed on it may be coroutine functions: they are awaited,
in order, once the change is made. (The sync API refuses them: it could never await them.)

See the how-to "Run mentorflow in a service" for a FastAPI app and the worker beside it.
"""

from ._service.aio import AsyncProgramme as AsyncProgramme
from ._service.aio import close as close
from ._storage.postgres import AsyncPostgresStore as AsyncPostgresStore

__all__ = ["AsyncPostgresStore", "AsyncProgramme", "close"]
