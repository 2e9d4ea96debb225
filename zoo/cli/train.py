"""``zoo train FAMILY``: train a model with its recipe (resumes in RUN_DIR after a kill).

Every family whose declaration names a ``recipe`` (:mod:`zoo.models`) has a sub-command.
Its options are the run options every recipe shares (:func:`_run_options`) and one option
per field of the recipe's ``Config`` declared with :func:`zoo.options.option`. Those are
added when the family's sub-parser starts parsing (:class:`RecipeParser`): only the recipe
that the command line names is imported, and ``zoo --help`` and ``zoo train --help`` load
no recipe and no Keras.

One runner for every recipe (:func:`_run_train`): ``Config(**options)``, the checks before
any work, ``recipe.train(config, run)``, then, on the chief, the lines of
``recipe.report(model, config, RUN_DIR)``.
"""

from __future__ import annotations

import argparse
import dataclasses

from zoo.cli.checks import check_folder
from zoo.cli.helptext import show_defaults
from zoo.errors import ZooError
from zoo.options import COUNT, SEED

RUN_FIELDS = ("seed",)
"""Run options that a recipe's ``Config`` may hold too (it records them in config.json)."""

STRATEGIES = ("auto", "default", "mirrored", "multiworker")
STRATEGY_HELP = ("auto: every local GPU (MirroredStrategy); mirrored: forced, over the CPUs "
                 "without a GPU; multiworker: several machines, each running this command with "
                 "its TF_CONFIG (the chief, worker 0, writes the run into its --out)")


def add_parser(commands):
    """``zoo train``, with a sub-parser for each family that has a recipe."""
    from zoo.models import families

    recipes = {name: family for name, family in families().items() if family.recipe}
    train = commands.add_parser("train", help="train a model (resumes in RUN_DIR after a kill)")
    models = train.add_subparsers(dest="family", required=True, parser_class=RecipeParser,
                                  metavar="{" + ",".join(recipes) + "}")
    for name, family in recipes.items():
        p = models.add_parser(name, help=family.recipe_help, recipe=family.recipe)
        _run_options(p)
        p.set_defaults(run=_run_train, recipe=family.recipe)
    train.set_defaults(on_interrupt="run the same command again to resume from the last "
                                    "checkpoint in {out}")


class RecipeParser(argparse.ArgumentParser):
    """A family's ``zoo train`` sub-parser: the options of its recipe's ``Config`` are added
    the first time it parses (or prints its help), so the recipe is imported only then."""

    def __init__(self, *args, recipe: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.recipe, self._derived = recipe, False

    def parse_known_args(self, args=None, namespace=None):
        self.add_config_options()
        return super().parse_known_args(args, namespace)

    def format_help(self):
        self.add_config_options()
        return super().format_help()

    def add_config_options(self) -> None:
        if self.recipe and not self._derived:
            self._derived = True
            add_config_options(self, _recipe(self.recipe).Config)


def _recipe(reference: str):
    """The recipe module (importing it imports Keras: TensorFlow's start-up lines are held)."""
    from zoo.family import resolve
    from zoo.native_output import quiet_tensorflow_import

    quiet_tensorflow_import()
    return resolve(reference)


def add_config_options(parser: argparse.ArgumentParser, config_class) -> None:
    """One option per field of the dataclass ``config_class`` declared with
    :func:`zoo.options.option` (``cli=False`` and plain fields are left out)."""
    for field in dataclasses.fields(config_class):
        if not field.metadata.get("cli"):
            continue
        default, kwargs = _default(field), dict(field.metadata.get("argparse", {}))
        flag = field.metadata.get("flag") or "--" + field.name.replace("_", "-")
        if _takes_a_value(kwargs):  # named after the flag, not the field (--lr LR)
            kwargs.setdefault("metavar", flag.lstrip("-").replace("-", "_").upper())
        parser.add_argument(flag, dest=field.name, default=default,
                            help=field.metadata.get("help"), **kwargs)
    show_defaults(parser)  # added after the parser's own pass: end these helps with defaults


def _takes_a_value(kwargs: dict) -> bool:
    """Whether an option of these ``add_argument`` keywords shows a metavar of its own."""
    return "choices" not in kwargs and kwargs.get("action", "store") == "store"


def config_fields(config_class) -> list[str]:
    """The fields of ``config_class`` that the command line sets."""
    return [f.name for f in dataclasses.fields(config_class)
            if f.metadata.get("cli") or f.name in RUN_FIELDS]


def _default(field: dataclasses.Field):
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


def _run_options(p):
    """The options every recipe shares (the resumable trainer's)."""
    p.add_argument("--out", required=True, metavar="RUN_DIR",
                   help="checkpoints, logs, final.weights.h5; run again to resume")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--strategy", choices=STRATEGIES, default="auto", help=STRATEGY_HELP)
    p.add_argument("--checkpoint-every", type=COUNT, default=200, metavar="STEPS")


def recipe_config(args):
    """The recipe's ``Config`` of parsed ``zoo train FAMILY`` arguments; a value the config
    refuses is a one-line :class:`ZooError`."""
    config_class = _recipe(args.recipe).Config
    values = {name: getattr(args, name) for name in config_fields(config_class)}
    try:
        return config_class(**values)
    except ValueError as err:
        raise ZooError(str(err)) from None


def run_options(args) -> dict:
    """The ``run`` of ``recipe.train(config, run)`` (:mod:`zoo.training.runs`)."""
    return {"out_dir": args.out, "strategy": args.strategy,
            "checkpoint_every": args.checkpoint_every}


def _run_train(args):
    from zoo.cli.limits import check_training

    config = recipe_config(args)
    check_training(config)
    _check_run(args)
    recipe = _recipe(args.recipe)
    model, _ = recipe.train(config, run_options(args))
    if _chief_writes(args):
        return
    for line in recipe.report(model, config, args.out):
        print(line)


def _check_run(args) -> None:
    """The run folder (and the files the run writes in it), and for --strategy multiworker
    this worker's TF_CONFIG, before any work."""
    from zoo.training.runfiles import RUN_FILES

    check_folder(args.out, RUN_FILES)
    if args.strategy == "multiworker":  # made first: TensorFlow allows it only before any work
        from zoo.training.strategies import worker_strategy

        worker_strategy()


def _chief_writes(args) -> bool:
    """On a multi-worker run's other workers: say so; the chief evaluates and writes."""
    from zoo.training.trainer import writes_files

    if writes_files(args.strategy):
        return False
    print(f"done: the chief of this run writes its weights in {args.out}")
    return True
