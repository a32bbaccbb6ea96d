"""Layer 3: stores of documents (memory, JSON Lines, SQLite).

A store keeps a programme's definition and its event log as documents; it knows nothing of
programmes or pairs. Imports: `mentorflow._codec` (the schema version), `mentorflow._domain`,
`mentorflow.exceptions`.
"""
