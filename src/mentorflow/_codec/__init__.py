"""Layer 2: codecs, the library's own versioned JSON for definitions, events and scenarios.

Imports: `mentorflow._domain` and `mentorflow.exceptions` only (never the engine or the core).
"""
