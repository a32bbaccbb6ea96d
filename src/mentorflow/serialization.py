"""JSON documents of mentorflow's values and events (a public topic module).

Examples:
    >>> import json, pendulum
    >>> from mentorflow import PhaseStarted
    >>> from mentorflow.serialization import dump_event, load_event
    >>> event = PhaseStarted(seq=2, at=pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"),
    ...                      pair="mechelen-capaci", phase="needs_assessment")
    >>> document = dump_event(event)
    >>> document["at"]
    '2020-06-17T10:00:00+02:00[Europe/Brussels]'
    >>> load_event(json.loads(json.dumps(document))) == event
    True
"""

from ._serialize import EVENTS as EVENTS
from ._serialize import SCHEMA as SCHEMA
from ._serialize import UPGRADES as UPGRADES
from ._serialize import converter as converter
from ._serialize import dump_definition as dump_definition
from ._serialize import dump_event as dump_event
from ._serialize import dump_instant as dump_instant
from ._serialize import load_definition as load_definition
from ._serialize import load_event as load_event
from ._serialize import load_instant as load_instant
from ._serialize import structure as structure
from ._serialize import unstructure as unstructure
from ._serialize import upgrade as upgrade

__all__ = [
    "EVENTS",
    "SCHEMA",
    "UPGRADES",
    "converter",
    "dump_definition",
    "dump_event",
    "dump_instant",
    "load_definition",
    "load_event",
    "load_instant",
    "structure",
    "unstructure",
    "upgrade",
]
