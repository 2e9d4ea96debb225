"""``zoo list``: every model family, its paper and its pretrained weights."""

from __future__ import annotations


def add_parser(commands):
    p = commands.add_parser("list", help="every model and the pretrained weights it has")
    p.set_defaults(run=run)


def run(args):
    from zoo.weights import list_models

    for family in list_models():
        print(f"{family['name']}: {family['paper']}")
        if not family["presets"]:
            print(f"    {family['no_weights'] or 'no pretrained weights yet'} "
                  "(zoo.load(..., weights=None) gives a fresh model)")
        if family["default"]:
            print(f"    default: {family['default']} ({family['default_why']})")
        for preset in family["presets"]:
            _print_preset(preset)


def _metric(value) -> str:
    """A metric as printed: a tuple of figures as ``a / b / c``."""
    if isinstance(value, (tuple, list)):
        return " / ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _print_preset(p: dict) -> None:
    metrics = "; ".join(f"{k}: {_metric(v)}" for k, v in p["metrics"].items())
    print(f"    {p['name']:<16} [{p['where']}; {p['origin']}] {p['description']}")
    if metrics:
        print(f"    {'':<16} {metrics}")
    if p["card"]:
        print(f"    {'':<16} model card: zoo/weights/cards/{p['card']}")
