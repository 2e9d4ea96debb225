"""The architecture, checked: imports run downhill (import-linter's contracts in
``.importlinter``, plus the ones derived from the family declarations), the module graph
has no cycle, and every package folder is in the wheel.

import-linter and grimp read the package from its folders, so the check runs on a copy laid
out as the wheel installs it (``training/`` and ``export/`` inside ``zoo/``); an editable
install maps those two folders with an import hook that grimp does not follow.
"""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
TOP_LEVEL = ("cli", "training", "export")  # the parts above the library


def wheel_layout(target: Path) -> Path:
    """A copy of the package as the wheel lays it out; returns the folder holding ``zoo``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "images", "textures", "files",
                                    "cards")
    shutil.copytree(REPO / "zoo", target / "zoo", ignore=ignore)
    shutil.copytree(REPO / "training", target / "zoo" / "training", ignore=ignore)
    shutil.copytree(REPO / "export", target / "zoo" / "export", ignore=ignore)
    return target


def recipe_modules() -> list[str]:
    from zoo.models import families

    return [f.recipe for f in families().values() if f.recipe]


def contracts_with_derived(path: Path) -> Path:
    """``.importlinter`` plus: the recipes named by the declarations import none of each other."""
    config = configparser.ConfigParser()
    config.read(REPO / ".importlinter")
    config["importlinter:contract:recipes"] = {
        "name": "Training recipes are independent of each other (from the family declarations)",
        "type": "independence",
        "modules": "\n" + "\n".join(recipe_modules()),
    }
    with open(path, "w") as f:
        config.write(f)
    return path


def run_in_copy(root: Path, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    return wheel_layout(tmp_path_factory.mktemp("wheel_layout"))


def test_the_library_part_of_zoo_is_all_in_the_library_contract():
    """A new top-level module of ``zoo/`` is checked like the rest: it is in the contract."""
    config = configparser.ConfigParser()
    config.read(REPO / ".importlinter")
    listed = set(config["importlinter:contract:library"]["source_modules"].split())
    present = {f"zoo.{p.stem}" for p in (REPO / "zoo").iterdir()
               if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert present - {f"zoo.{t}" for t in TOP_LEVEL} == listed


def test_import_contracts_hold(copy):
    assert len(recipe_modules()) >= 4
    config = contracts_with_derived(copy / "contracts.ini")
    done = run_in_copy(copy, str(LINT_IMPORTS), "--config", str(config), "--no-cache")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout, done.stdout[-2000:]


CYCLES = """
import json, grimp
graph = grimp.build_graph("zoo")
index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], [0]
def visit(module):
    index[module] = low[module] = counter[0]; counter[0] += 1
    stack.append(module); on_stack.add(module)
    for imported in sorted(graph.find_modules_directly_imported_by(module)):
        if imported not in index:
            visit(imported); low[module] = min(low[module], low[imported])
        elif imported in on_stack:
            low[module] = min(low[module], index[imported])
    if low[module] == index[module]:
        component = []
        while True:
            top = stack.pop(); on_stack.discard(top); component.append(top)
            if top == module: break
        if len(component) > 1: cycles.append(sorted(component))
import sys; sys.setrecursionlimit(10000)
for module in sorted(graph.modules):
    if module not in index: visit(module)
print(json.dumps({"modules": len(graph.modules), "cycles": cycles}))
"""


def test_no_import_cycles(copy):
    """Module-level imports (function-level ones included) form no cycle (Tarjan's SCCs)."""
    done = run_in_copy(copy, sys.executable, "-c", CYCLES)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["modules"] > 50
    assert found["cycles"] == [], found["cycles"]


def test_the_checks_can_fail(tmp_path):
    """The contracts and the cycle check catch what they are for: a model importing a recipe
    inside a function, and two modules importing each other."""
    root = wheel_layout(tmp_path)
    sneaky = root / "zoo" / "models" / "vdsr" / "sneaky.py"
    sneaky.write_text("def f():\n    from zoo.training import trainer\n    return trainer\n")
    (root / "zoo" / "training" / "loop_a.py").write_text("from zoo.training import loop_b\n")
    (root / "zoo" / "training" / "loop_b.py").write_text("from zoo.training import loop_a\n")
    config = contracts_with_derived(root / "contracts.ini")
    done = run_in_copy(root, str(LINT_IMPORTS), "--config", str(config), "--no-cache")
    assert done.returncode != 0
    assert "zoo.models.vdsr.sneaky -> zoo.training.trainer" in done.stdout, done.stdout[-3000:]
    cycles = json.loads(run_in_copy(root, sys.executable, "-c", CYCLES).stdout.splitlines()[-1])
    assert ["zoo.training.loop_a", "zoo.training.loop_b"] in cycles["cycles"]
