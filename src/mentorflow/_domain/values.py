"""Fast construction of the frozen values that hot paths make by the million.

Events and commands are ``@attrs.frozen(kw_only=True)`` classes: right for users, costly in
a loop. A keyword call builds a dict on every call, and attrs' frozen ``__init__`` sets each
field through a bound ``object.__setattr__``. `maker` derives, from a class's attrs fields, a
positional function that creates the instance and sets each field through its slot's own
descriptor: about half the cost of the class call (measured with valgrind's instruction count,
``benchmarks`` target 1).

A maker runs no validators, converters or ``__attrs_post_init__``: it is for values whose
fields are already known good, such as the events the engine decides from a checked command,
or a command whose fields were checked by the caller (`commands.complete`). The values it
makes are the class's own instances, equal to and indistinguishable from the class call's.

    >>> import attrs
    >>> @attrs.frozen(kw_only=True)
    ... class Point:
    ...     x: int
    ...     y: int = 0
    >>> make = maker(Point)
    >>> make(1, 2) == Point(x=1, y=2)
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

T = TypeVar("T")


def maker(cls: type[T], *, checked_by_caller: bool = False) -> Callable[..., T]:
    """A positional constructor of the slotted attrs class ``cls``, taking its fields in
    ``attrs.fields`` order (the base class's first), each required.

    Args:
        cls: The class.
        checked_by_caller: True when ``cls`` has validators or converters and every caller
            of the maker checks what they would (and passes what they would return).

    Raises:
        TypeError: ``cls`` is not slotted, or a field has a validator or converter (a maker
            would skip them) and ``checked_by_caller`` is not set.
    """
    fields = attrs.fields(cls)  # type: ignore[arg-type]  # an attrs class, checked by attrs
    if "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not slotted")
    checked = [f.name for f in fields if f.validator is not None or f.converter is not None]
    if checked and not checked_by_caller:
        raise TypeError(f"{cls.__name__}.{checked[0]} has a validator or converter")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = []
    for i, field in enumerate(fields):
        namespace[f"_set{i}"] = getattr(cls, field.name).__set__  # the slot's descriptor
        lines.append(f"    _set{i}(value, {field.name})")
    arguments = ", ".join(field.name for field in fields)
    source = f"def make({arguments}):\n    value = _new(_cls)\n" + "\n".join(lines) + "\n"
    source += "    return value\n"
    exec(compile(source, f"<maker of {cls.__qualname__}>", "exec"), namespace)
    make: Callable[..., T] = namespace["make"]
    make.__qualname__ = f"maker({cls.__qualname__})"
    make.__doc__ = f"A {cls.__name__} of ({arguments}), unchecked."
    return make
