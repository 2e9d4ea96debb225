"""The registry of models and their pretrained weights.

Every family declared in :mod:`zoo.models` (``FAMILY = Family(...)``) has a
builder and a ``presets`` dict. A preset names one weights file by its sha256; the file
either ships inside the package (``zoo/weights/files``) or is downloaded once
from ``url`` into the Keras cache (``~/.keras/models/zoo``, moved by
``$KERAS_HOME``) with ``keras.utils.get_file``. A file whose checksum differs is
refused, and offline with no cached copy the error says which file to put where.

A weights file that ``zoo train`` wrote loads with the architecture of its run:
the trainers record the family and the builder's arguments (``model`` and
``model_config``) in ``RUN_DIR/config.json``, beside the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from zoo.errors import ModelArgumentError, WeightsError, summarize
from zoo.models import FAMILIES, families, family_module

CACHE_SUBDIR = os.path.join("models", "zoo")


@dataclass(frozen=True)
class Preset:
    """One named set of weights for one model family."""

    name: str
    family: str
    description: str
    sha256: str
    file: str
    url: str | None = None
    card: str | None = None
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    origin: str = "trained here"  # or e.g. "ported from OWNER/REPO@COMMIT (LICENCE)"


def _family(name: str):
    """The declaration (:class:`zoo.family.Family`) of family ``name``."""
    every = families()
    if name not in every:
        raise WeightsError(f"unknown model {name!r}; known: {', '.join(sorted(every))}")
    return every[name]


def presets(family: str) -> list[Preset]:
    """The presets of one family, its default first (the declared ``default_preset``, else
    the first listed), the others in the order listed."""
    declaration = _family(family)
    every = [Preset(name=name, family=family, **spec)
             for name, spec in declaration.presets.items()]
    default = declaration.default_preset
    if default is not None and every:
        if default not in declaration.presets:
            raise WeightsError(f"{family}: its default_preset {default!r} is not one of its "
                               f"presets ({', '.join(declaration.presets)})")
        every.sort(key=lambda p: p.name != default)  # stable: the rest keep their order
    return every


def default_preset(family: str) -> tuple[Preset | None, str]:
    """A family's default preset (``zoo.load(family)``) and one line saying why it is."""
    every = presets(family)
    if not every:
        return None, ""
    why = _family(family).default_why
    return every[0], why or ("its only preset" if len(every) == 1 else "listed first")


def available_presets() -> dict[str, Preset]:
    """Every preset of every family, by name."""
    return {p.name: p for family in FAMILIES for p in presets(family)}


def _find_preset(name: str) -> tuple[str, Preset | None]:
    """Resolve a family or preset name to (family, preset or None)."""
    if name in FAMILIES:
        family_presets = presets(name)
        return name, (family_presets[0] if family_presets else None)
    every = available_presets()
    if name in every:
        return every[name].family, every[name]
    raise WeightsError(
        f"unknown model or preset {name!r}; known: {', '.join(sorted(set(FAMILIES) | set(every)))}")


def sha256sum(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _bundled(file: str) -> Path | None:
    path = Path(str(resources.files("zoo.weights") / "files" / file))
    return path if path.is_file() else None


def keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def cache_dir() -> Path:
    return keras_home() / CACHE_SUBDIR


def resolve_weights(preset: Preset) -> Path:
    """The local, checksum-verified path of a preset's weights file."""
    path = _bundled(preset.file) or _download(preset)
    actual = sha256sum(path)
    if actual != preset.sha256:
        if path.parent == cache_dir():
            path.unlink()  # never leave a bad download in the cache
        raise WeightsError(
            f"{path}: sha256 {actual[:12]}... does not match preset {preset.name!r} "
            f"({preset.sha256[:12]}...); refusing to load a corrupt or foreign file")
    return path


def _download(preset: Preset) -> Path:
    target = cache_dir() / preset.file
    if target.is_file():
        if sha256sum(target) == preset.sha256:
            return target
        target.unlink()  # stale or corrupt: fetch again
    if not preset.url:
        raise WeightsError(
            f"weights file {preset.file} of preset {preset.name!r} is missing from the "
            f"package and has no download URL; put it at {target}")
    import keras

    target.parent.mkdir(parents=True, exist_ok=True)  # else Keras falls back to /tmp/.keras
    try:
        path = keras.utils.get_file(fname=preset.file, origin=preset.url,
                                    cache_dir=str(keras_home()), cache_subdir=CACHE_SUBDIR)
    except Exception as err:  # offline, HTTP error, ...
        raise WeightsError(
            f"cannot fetch weights file {preset.file} for {preset.name!r} from {preset.url} "
            f"({type(err).__name__}); download it by hand and put it at {target}") from None
    return Path(path)


def _preset_hint(family: str, weights: str) -> str:
    """Where ``weights`` looks like a preset name rather than a file, say how presets load."""
    if weights.endswith(".h5") or os.sep in weights or "/" in weights:
        return ""
    names = [p.name for p in presets(family)]
    if not names:
        return f" ({family} has no pretrained presets)"
    return f" (a preset loads by name: zoo.load({names[0]!r}); {family}'s: {', '.join(names)})"


def build(name: str, **config):
    """A fresh (randomly initialised) model of family or preset ``name``."""
    family, preset = _find_preset(name)
    merged = dict(preset.config) if preset else {}
    merged.update(config)
    try:
        return _family(family).build(**merged)
    except TypeError as err:  # a misspelt argument (dept=3): one line, not a traceback
        if "unexpected keyword argument" not in str(err):
            raise
        raise ModelArgumentError(f"{family}: {err}") from None


def load(name: str, weights: str | os.PathLike | None = "default", **config):
    """Build model ``name`` (a family such as ``"vdsr"`` or a preset name) with weights.

    ``weights="default"`` loads the preset's pretrained weights; ``None`` gives a
    fresh model, of the family's default preset's architecture where it has one
    (``zoo.load("stn", weights=None)`` is the 42x42 RTS network, not ``STN()``'s
    28x28 default); a preset's name loads that preset (as ``zoo.load(preset)``); a
    path loads that ``.weights.h5`` file. ``config`` overrides
    the builder's arguments (e.g. ``depth=10``) for a fresh or file-loaded model.
    """
    family, preset = _find_preset(name)
    if not (weights is None or isinstance(weights, (str, os.PathLike))) or weights == "":
        raise WeightsError(f"weights must be 'default', None, a preset's name or a "
                           f"'.weights.h5' file, not {weights!r}")
    if isinstance(weights, str) and weights in [p.name for p in presets(family)]:
        return load(weights, "default", **config)  # a preset's weights, named as on the CLI
    if weights == "default":
        if preset is None:
            reason = _family(family).no_weights
            raise WeightsError(
                f"{family} has no pretrained weights" + (f": {reason}" if reason else
                                                         " yet (see `zoo list`)")
                + "; use weights=None for a fresh model or weights='FILE.weights.h5'")
        if config:
            raise WeightsError("pretrained weights fix the architecture; drop the extra "
                               f"arguments {sorted(config)} or use weights=None")
        model = build(preset.name)
        _load_strictly(model, resolve_weights(preset))
        return model
    if weights is None:
        return build(name, **config)
    path = check_weights_file(weights, family)
    recorded = {} if config else run_model_config(family, path)
    try:
        model = build(name, **(config or recorded))
    except (TypeError, ValueError) as err:
        if not recorded:
            raise
        raise WeightsError(f"{path}: the config.json beside it records {recorded}, which "
                           f"{family} cannot build ({err})") from None
    _load_strictly(model, path)
    return model


def check_weights_file(weights: str | os.PathLike, family: str | None = None) -> Path:
    """``weights`` as a path, refused in one line unless it is a ``.weights.h5`` file."""
    path = Path(weights)
    if not path.is_file():
        if family:
            _refuse_foreign_preset(str(weights), family)
        hint = _preset_hint(family, str(weights)) if family else ""
        raise WeightsError(f"{path}: no such weights file" + hint)
    if not path.name.endswith(".weights.h5"):
        raise WeightsError(f"{path}: expected a Keras '.weights.h5' file")
    return path


def _refuse_foreign_preset(name: str, family: str) -> None:
    """A preset of another family given as ``family``'s weights is named as such."""
    preset = available_presets().get(name)
    if preset is not None and preset.family != family:
        raise WeightsError(f"{name} is a preset of {preset.family}, not {family}; `zoo list` "
                           f"shows {family}'s")


def load_weights_file(model, weights: str | os.PathLike) -> None:
    """Load a ``.weights.h5`` file into ``model``; a file that does not fit is refused."""
    _load_strictly(model, check_weights_file(weights))


def run_model_config(family: str, weights: str | os.PathLike) -> dict:
    """The builder arguments that the ``zoo train`` run of ``weights`` recorded, or ``{}``.

    They are read from ``config.json`` beside the file, and only where it names
    the same family (a file copied elsewhere loads with the defaults).
    """
    try:
        run = json.loads((Path(weights).parent / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(run, dict) or run.get("model") != family:
        return {}
    config = run.get("model_config")
    return dict(config) if isinstance(config, dict) else {}


OTHER_MODEL = "its layers or shapes differ, so it holds another model or configuration"


def _check_readable(path: Path) -> None:
    """A truncated or damaged file is named as such, not as a file of another model."""
    import h5py

    try:
        with h5py.File(path, "r"):
            pass
    except OSError as err:
        raise WeightsError(f"{path}: not a readable weights file, damaged or cut short? "
                           f"({summarize(err)})") from None


def _load_strictly(model, path: Path) -> None:
    """``load_weights``, but a file that fits only partly is an error, not a warning."""
    _check_readable(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except Exception as err:
            raise WeightsError(f"{path}: does not fit {model.name}: {OTHER_MODEL} "
                               f"({type(err).__name__}: {summarize(err)})") from None
    skipped = [w for w in caught if "Skipping" in str(w.message) or "mismatch" in str(w.message)]
    if skipped:
        raise WeightsError(f"{path}: does not fit {model.name}: {OTHER_MODEL} "
                           f"({summarize(skipped[0].message)})")
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def list_models() -> list[dict]:
    """One record per family: name, description, presets with their status."""
    rows = []
    for family, declaration in families().items():
        module = family_module(family)
        paper = " ".join((module.__doc__ or "").strip().split("\n\n")[0].split())
        entries = []
        for p in presets(family):
            where = "bundled" if _bundled(p.file) else ("cached" if (cache_dir() / p.file).is_file()
                                                        else ("download" if p.url else "missing"))
            entries.append({"name": p.name, "description": p.description, "where": where,
                            "card": p.card, "metrics": p.metrics, "origin": p.origin})
        default, why = default_preset(family)
        rows.append({"name": family, "paper": paper, "presets": entries,
                     "no_weights": declaration.no_weights,
                     "default": default.name if default else None, "default_why": why})
    return rows
