"""JSON documents of mentorflow's values and events (a public topic module).

* Times are RFC 9557 strings: ISO 8601 with the UTC offset, then the IANA zone in brackets
  (``2020-06-17T10:00:00+02:00[Europe/Brussels]``), so a time comes back in its own zone, with
  the right offset in the hour repeated when DST ends. Dates are ISO 8601 (``2022-12-31``);
  enums are their values; sets are sorted lists.
* An event is a mapping with its ``type`` (the class name, see `EVENTS`) and its fields; so is
  a command (`COMMANDS`, `dump_command`, `load_command`), which can be stored or queued and
  run later with `Programme.execute`.
* A programme's definition (everything given to `Programme` but the clock) is a mapping with a
  ``schema`` version. Older schemas are upgraded step by step (`UPGRADES`); a newer one is
  refused. Schema 1 wrote times with their offset only; upgrading adds the programme's zone.
  It carries the definition's ``version`` and ``fingerprint`` (`fingerprint`): a document
  edited after it was written is refused (`read_definition`).
* Every failure is a `SerializationError` whose ``field`` says where in the document it is
  (``$.mentee.city.country``).

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
    >>> from mentorflow import Complete
    >>> from mentorflow.serialization import dump_command, load_command
    >>> command = Complete(pair="mechelen-capaci", phase="matching",
    ...                    at=pendulum.datetime(2020, 10, 1, 17, tz="Europe/Brussels"))
    >>> dump_command(command)["type"], dump_command(command)["at"]
    ('Complete', '2020-10-01T17:00:00+02:00[Europe/Brussels]')
    >>> load_command(json.loads(json.dumps(dump_command(command)))) == command
    True
"""

from ._codec.primitives import dump_instant as dump_instant
from ._codec.primitives import read_instant as load_instant
from ._codec.serialize import COMMANDS as COMMANDS
from ._codec.serialize import EVENTS as EVENTS
from ._codec.serialize import SCHEMA as SCHEMA
from ._codec.serialize import UPGRADES as UPGRADES
from ._codec.serialize import converter as converter
from ._codec.serialize import dump_command as dump_command
from ._codec.serialize import dump_definition as dump_definition
from ._codec.serialize import dump_event as dump_event
from ._codec.serialize import fingerprint as fingerprint
from ._codec.serialize import load_command as load_command
from ._codec.serialize import load_definition as load_definition
from ._codec.serialize import load_event as load_event
from ._codec.serialize import read_definition as read_definition
from ._codec.serialize import structure as structure
from ._codec.serialize import unstructure as unstructure
from ._codec.serialize import upgrade as upgrade

__all__ = [
    "COMMANDS",
    "EVENTS",
    "SCHEMA",
    "UPGRADES",
    "converter",
    "dump_command",
    "dump_definition",
    "dump_event",
    "dump_instant",
    "fingerprint",
    "load_command",
    "load_definition",
    "load_event",
    "load_instant",
    "read_definition",
    "structure",
    "unstructure",
    "upgrade",
]
