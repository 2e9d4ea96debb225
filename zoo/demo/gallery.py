"""A static HTML gallery: one section per model, one row per example, captioned images."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from zoo.atomic import write_text


@dataclass
class Cell:
    image: str  # path relative to the gallery folder
    caption: str
    pixelated: bool = False  # show a small input enlarged without smoothing
    width: int | None = None


@dataclass
class Section:
    title: str
    paper: str
    status: str = "ok"
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


STYLE = """body{font-family:sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse}td,th{padding:6px;text-align:center;vertical-align:top}
figcaption{font-size:90%;color:#333}.pixelated{image-rendering:pixelated}
.status{color:#a40}"""


def _cell(cell: Cell) -> str:
    width = f' width="{cell.width}"' if cell.width else ""
    cls = ' class="pixelated"' if cell.pixelated else ""
    return (f'<td><figure><img src="{html.escape(cell.image)}"{width}{cls}>'
            f"<figcaption>{html.escape(cell.caption)}</figcaption></figure></td>")


def write_gallery(out: Path, sections: list[Section]) -> Path:
    parts = ["<!doctype html><meta charset='utf-8'><title>zoo demo</title>",
             f"<style>{STYLE}</style><h1>Generative ConvNet zoo: demo</h1>"]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2><p>{html.escape(s.paper)}</p>")
        if s.status != "ok":
            parts.append(f"<p class='status'>{html.escape(s.status)}</p>")
        parts.extend(f"<p>{html.escape(n)}</p>" for n in s.notes)
        if s.rows:
            head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *s.columns])
            body = "".join(f"<tr><th>{html.escape(label)}</th>{''.join(map(_cell, cells))}</tr>"
                           for label, cells in s.rows)
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
        parts.append(f"<p><small>{s.seconds:.1f} s</small></p>")
    index = Path(out) / "index.html"
    write_text(index, "\n".join(parts))  # atomically: a kill keeps the previous gallery
    return index
