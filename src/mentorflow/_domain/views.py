"""Views of values that the layers above draw: notebook HTML and pandas frames.

A `Programme`, a `Timeline`, a `Comparison` and a `Forecast` live below the renderers, yet a
notebook asks the values themselves (``_repr_html_``, ``to_pandas``). Their methods ask this
registry, which the renderers fill when `mentorflow._render` is imported (`mentorflow.scenario`
imports it), so no layer imports upwards. A value with no HTML view shows its text repr,
escaped.
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable
from typing import Any

_HTML: dict[type, Callable[[Any], str]] = {}
_FRAMES: dict[type, Callable[[Any, str], Any]] = {}


def register_html(kind: type, render: Callable[[Any], str]) -> None:
    """Draw values of ``kind`` (and its subclasses) as HTML with ``render``."""
    _HTML[kind] = render


def register_frame(kind: type, build: Callable[[Any, str], Any]) -> None:
    """Build the pandas frames of values of ``kind`` with ``build(value, form)``."""
    _FRAMES[kind] = build


def _find(table: dict[type, Callable[..., Any]], value: object) -> Callable[..., Any] | None:
    for kind in type(value).__mro__:
        found = table.get(kind)
        if found is not None:
            return found
    return None


def html(value: object) -> str:
    """The HTML view of ``value``: its renderer's, else its escaped text repr."""
    render = _find(_HTML, value)
    if render is None:
        return f"<pre>{_html.escape(repr(value))}</pre>"
    return str(render(value))


def frame(value: object, form: str) -> Any:
    """The pandas frame of ``value`` in ``form``.

    Raises:
        ImportError: nothing can build it (the renderers are not imported).
    """
    build = _find(_FRAMES, value)
    if build is None:
        raise ImportError(
            f"no pandas view of {type(value).__name__} is loaded: import mentorflow.scenario"
        )
    return build(value, form)
