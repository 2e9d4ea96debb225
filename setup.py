"""Packages are found, not listed: every folder with an ``__init__.py`` under ``zoo/`` (a new
model family included), plus ``training/`` and ``export/``, which install as ``zoo.training``
and ``zoo.export`` (see ``package_dir`` in setup.cfg). Everything else is in setup.cfg."""

from setuptools import find_packages, setup

MAPPED = {"zoo.training": "training", "zoo.export": "export"}


def packages() -> list[str]:
    found = find_packages(include=["zoo", "zoo.*"])
    for name, folder in MAPPED.items():
        found += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]
    return found


setup(packages=packages())
