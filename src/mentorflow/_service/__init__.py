"""Layer 5 (beside simulation and matching): running programmes in a service.

The outbox (named consumers of every programme's events, with positions kept by the store),
the deadline worker, the read model across programmes, and the asyncio runtime that
`mentorflow.aio` exposes. Everything here drives programmes through `mentorflow._core`'s
public `Programme` and reads stores through their contract: no rule is decided here.

Imports: `_core` and the layers below it.
"""
