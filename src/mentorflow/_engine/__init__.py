"""Layer 2: the engine, the only code that imports ``transitions``.

A lifecycle compiled once into a state machine; from a pair's state and a command it decides:
the events the command would emit, or a refusal. It never applies, journals or notifies:
that is the transaction's job (`mentorflow._core`).

Imports: `mentorflow._domain` and `mentorflow.exceptions` only.
"""
