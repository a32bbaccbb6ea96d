"""HTML building blocks shared by the notebook views and the report: escaped text, tables,
lists of facts, and one stylesheet.

Every piece of text that reaches HTML passes through `esc` (scenario names, pair keys, reasons
and refusals are user input). Nothing here links to anything outside the page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

CLASS = "mentorflow"
"""The class of every block's outer element; the stylesheet applies inside it only."""

STYLE = f"""
.{CLASS} {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #222; line-height: 1.4; }}
.{CLASS} h1 {{ font-size: 1.6em; margin: 0.2em 0; }}
.{CLASS} h2 {{ font-size: 1.25em; margin: 1.4em 0 0.4em; border-bottom: 1px solid #ddd; }}
.{CLASS} h3 {{ font-size: 1.05em; margin: 1em 0 0.3em; }}
.{CLASS} .mf-title {{ font-weight: bold; font-size: 1.05em; }}
.{CLASS} table {{ border-collapse: collapse; margin: 0.4em 0; font-size: 0.9em; }}
.{CLASS} caption {{ text-align: left; font-weight: bold; padding: 0.2em 0; }}
.{CLASS} th, .{CLASS} td {{ border-bottom: 1px solid #e3e3e3; padding: 0.2em 0.7em;
  text-align: left; vertical-align: top; }}
.{CLASS} th {{ background: #f4f4f4; }}
.{CLASS} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.{CLASS} dl.mf-facts {{ display: grid; grid-template-columns: max-content auto;
  gap: 0.15em 1em; margin: 0.4em 0; }}
.{CLASS} dl.mf-facts dt {{ color: #555; }}
.{CLASS} dl.mf-facts dd {{ margin: 0; }}
.{CLASS} .mf-missed {{ color: #b01c1c; font-weight: bold; }}
.{CLASS} .mf-note {{ color: #555; font-size: 0.9em; }}
.{CLASS} figure {{ margin: 0.6em 0; }}
.{CLASS} figure svg {{ max-width: 100%; height: auto; }}
"""
"""The stylesheet of the notebook views and the report (every rule scoped to `CLASS`)."""


def esc(value: object) -> str:
    """``value`` as text, HTML-escaped (quotes included); None as an empty string."""
    return "" if value is None else html.escape(str(value), quote=True)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    caption: str | None = None,
    numeric: Iterable[int] = (),
    most: int | None = None,
) -> str:
    """A table of ``rows`` (every cell escaped) under a header of ``columns``.

    Args:
        columns: The header.
        rows: The cells, row by row.
        caption: A caption above it.
        numeric: Which columns (by index) hold numbers: right-aligned.
        most: Show at most this many rows, then say how many more there are.
    """
    right = set(numeric)
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body: list[str] = []
    hidden = 0
    for i, row in enumerate(rows):
        if most is not None and i >= most:
            hidden += 1
            continue
        cells = "".join(
            f'<td class="num">{esc(v)}</td>' if j in right else f"<td>{esc(v)}</td>"
            for j, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if hidden:
        body.append(
            f'<tr><td colspan="{len(columns)}" class="mf-note">and {hidden} more '
            f"row{'s' if hidden != 1 else ''}</td></tr>"
        )
    title = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def facts(items: Iterable[tuple[str, object]]) -> str:
    """A list of named facts (name and value escaped)."""
    inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="mf-facts">{inner}</dl>'


def items(values: Iterable[object]) -> str:
    """A bulleted list (every item escaped)."""
    return "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in values) + "</ul>"


def block(title: str, *parts: str) -> str:
    """A notebook view: a styled ``div`` with a title line and ``parts`` (already HTML)."""
    return (
        f'<div class="{CLASS}"><style>{STYLE}</style>'
        f'<div class="mf-title">{esc(title)}</div>{"".join(parts)}</div>'
    )
