"""Layer 4: the core: the programme, its pairs, the one transaction path and the deadline book.

Every change goes through `mentorflow._core.transaction`: it numbers the events, runs the
before hooks, journals, applies, records and notifies, all or nothing. Persistence (restore
and replay) lives here too, since it drives the programme with commands.

Imports: the layers below (`_storage`, `_codec`, `_engine`, `_domain`, `exceptions`).
"""
