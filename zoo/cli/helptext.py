"""Every option's help ends with its default, here and in every sub-command."""

from __future__ import annotations

import argparse


def show_defaults(parser: argparse.ArgumentParser) -> None:
    """End the help of every option (here and in all sub-commands) with its default."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                show_defaults(sub)
        elif action.option_strings and _worth_showing(action.default):
            help_text = action.help or ""
            if "default" not in help_text:
                default = action.default
                if isinstance(default, (list, tuple)):
                    default = ",".join(str(d) for d in default)
                shown = f"default: {default}".replace("%", "%%")
                action.help = f"{help_text} ({shown})" if help_text else shown


def _worth_showing(default) -> bool:
    return default is not None and not isinstance(default, bool) and default != [] \
        and default is not argparse.SUPPRESS
