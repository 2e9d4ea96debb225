"""``zoo demo``: every model that has weights, on bundled images, into an HTML gallery.

The sections (``--only``) are the families' declared demos (:func:`zoo.demo.sections`)."""

from __future__ import annotations

import argparse

from zoo.cli.checks import check_folder


def add_parser(commands):
    names = section_names()
    p = commands.add_parser("demo", help="run every model that has weights on bundled images")
    p.add_argument("--out", default="zoo_demo", help="output folder (default: ./zoo_demo)")
    p.add_argument("--only", type=_sections, metavar="SECTIONS",
                   help=f"comma-separated sections to run (default: all of {','.join(names)})")
    p.set_defaults(run=run)


def section_names() -> tuple[str, ...]:
    """The demo's sections, in the order they run (read from the family declarations)."""
    from zoo.demo import sections

    return tuple(sections())


def _sections(text: str) -> list[str]:
    """argparse type of ``--only``: known section names, comma-separated."""
    known = section_names()
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        bad = ", ".join(unknown) or repr(text)
        raise argparse.ArgumentTypeError(f"unknown section {bad}; use {', '.join(known)}")
    return names


def run(args):
    check_folder(args.out, files=("index.html",))
    from zoo.demo import run_demo

    index = run_demo(args.out, only=args.only)
    print(f"gallery: {index}")
    print(f"phone web app (gaze correction, stylization; mobile/README.md): {WEB_APP_COMMAND}")


WEB_APP_COMMAND = "cd mobile/web && npm ci && npm run models && npm run serve"
"""The one command that serves the phone web app locally, from a checkout of the repository
(the wheel does not ship mobile/); then open http://127.0.0.1:8000/."""
