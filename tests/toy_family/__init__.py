"""Toy: a family that lives in the test tree only (tests/test_family_contract.py).

It shows what adding a family takes: this folder (declaration, network, export spec,
demo section, a command) and a recipe; the test registers it with one call, as the
registration line in zoo/models/__init__.py would, and finds it everywhere.
"""

from zoo.family import Demo, ExportSpec, Family

FAMILY = Family(
    name="toy",
    papers=("A toy family for the family-contract test",),
    builders={"Toy": "toy_family.model:build"},
    no_weights="a toy trained by its test",
    recipe="toy_family.recipe",
    recipe_help="the toy recipe of the family-contract test",
    export=ExportSpec(calibration="toy_family.model:calibration_batches",
                      validation="toy_family.model:validation_inputs"),
    demo=Demo("toy", "toy_family.demo:toy_section"),
    commands=("toy_family.command",),
    custom_objects=("toy_family.model",),
)
