"""Replaying an event log: the same commands, through the same engine, to the same events.

Replay does not fold events into state by a second set of rules: it turns the first event of
each command back into that command (`command_of`), executes it on the programme (with no
hooks and no journal), and checks that the events it produces are the logged ones, field for
field. A log that doesn't replay (tampered, or written by a mentorflow with other rules) is
refused with a `ReplayError` naming the first event that differs. Deadline alerts and lapses
replay as the check that emitted them, at its instant, so a restored programme knows which
alerts it has sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

from .._domain import events as ev
from .._domain.commands import Command, command_of
from ..exceptions import MentorflowError, ReplayError


class Replayable(Protocol):
    """What replay needs of a programme: its version and `execute`."""

    @property
    def version(self) -> int: ...

    def execute(self, command: Command) -> tuple[ev.Event, ...]: ...


def replay(
    programme: Replayable, events: Sequence[ev.Event], keys: Mapping[int, str] | None = None
) -> None:
    """Run the commands ``events`` record on ``programme`` (new, with no hooks or journal).

    Raises:
        ReplayError: naming the first event the replay doesn't reproduce.
    """
    replayer = Replayer(programme)
    replayer.feed(events, keys)
    replayer.finish()


class Replayer:
    """Replays a log a chunk of events at a time (a restore streams the log): a command's
    events may run on into the next chunk."""

    __slots__ = ("owed", "programme")

    def __init__(self, programme: Replayable) -> None:
        self.programme = programme
        self.owed: tuple[ev.Event, ...] = ()
        """Events the last command produced that the chunks fed so far don't hold yet."""

    def feed(self, events: Sequence[ev.Event], keys: Mapping[int, str] | None = None) -> None:
        """Replay the next ``events`` of the log (``keys``: the idempotency keys, by seq).

        Raises:
            ReplayError: naming the first event the replay doesn't reproduce.
        """
        index = 0
        programme = self.programme
        if self.owed:
            index = self._match(self.owed, events, 0)
            if self.owed:
                return
        version = programme.version  # then the last event replayed: it is the programme's
        while index < len(events):
            event = events[index]
            if event.seq != version + 1:
                raise ReplayError(event.seq, f"expected event {version + 1} next")
            command = command_of(event)
            if command is None:
                raise ReplayError(event.seq, f"a {type(event).__name__} can't start a command")
            key = keys.get(event.seq) if keys else None
            if key is not None:  # the command carried an idempotency key: it is remembered again
                command = attrs.evolve(command, idempotency_key=key)
            try:
                produced = programme.execute(command)
            except MentorflowError as err:
                raise ReplayError(
                    event.seq, f"replaying {type(event).__name__} failed: {err}"
                ) from err
            if not produced:
                # a check that finds nothing due now: the rules that dated the alert have changed
                raise ReplayError(
                    event.seq,
                    f"replaying {type(event).__name__} produced no event: the deadline it "
                    "reports is not due on replay (has the definition or the holidays package "
                    "changed?)",
                )
            end = index + len(produced)
            if end <= len(events):  # the usual case, inline: the chunk holds them all
                # one tuple comparison, in C: each pair of events by its __eq__ (attrs' __ne__
                # is a Python call around it), field by field
                if produced != tuple(events[index:end]):
                    self._match(produced, events, index)  # raises, naming the first difference
                index = end
            else:
                index = self._match(produced, events, index)
            version = produced[-1].seq  # the logged seqs: the programme's new version

    def _match(self, produced: Sequence[ev.Event], events: Sequence[ev.Event], index: int) -> int:
        """Compare ``produced`` with the logged ``events`` from ``index``; keep those the
        chunk doesn't hold as owed; the index after them."""
        logged = events[index : index + len(produced)]
        for made, kept in zip(produced, logged, strict=False):
            if not made == kept:  # attrs' __ne__ is a Python call around __eq__
                raise ReplayError(made.seq, _difference(kept, made))
        self.owed = tuple(produced[len(logged) :])
        return index + len(logged)

    def finish(self) -> None:
        """The log has ended.

        Raises:
            ReplayError: its last command produced more events than the log holds.
        """
        if self.owed:
            raise ReplayError(self.owed[0].seq, "replay gives more events than the log holds")


def _difference(logged: ev.Event, replayed: ev.Event) -> str:
    """What differs between a logged event and the one replay produced, field by field."""
    if type(logged) is not type(replayed):
        return f"the log has a {type(logged).__name__}; replay gives a {type(replayed).__name__}"
    fields = [
        f"{f.name} is {getattr(logged, f.name)!s} in the log and {getattr(replayed, f.name)!s} "
        "on replay"
        for f in attrs.fields(type(logged))
        if getattr(logged, f.name) != getattr(replayed, f.name)
    ]
    hint = (
        " (a deadline's date depends on the public holidays: has the holidays package changed?)"
        if any(f.startswith("due_on") for f in fields)
        else ""
    )
    return f"{type(logged).__name__}: " + "; ".join(fields) + hint
