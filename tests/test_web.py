"""The phone web app (mobile/web) in real headless Chromium: `npm ci` where node_modules is
missing, `npm run models`, the Python reference outputs, then `node --test`, which checks
(a) every model's numbers against ai_edge_litert, (b) gaze correction on a face photo and
through a fake camera, (c) stylization against the Python pipeline, (d) the app offline after
one visit, (e) no request leaving 127.0.0.1, (f) AdaIN's style encoder and stylizer against
ai_edge_litert, its whole pipeline in the app against Python's, and its option enabled only
with the pair. Skips with the reason where Node or Chromium is missing (.ci/run installs
Debian's chromium and runs npm ci first).

No trained AdaIN decoder ships, so the AdaIN pair is exported for these tests from a
*random-weight* net (random VGG19 and decoder, :func:`adain_test_weights`): it makes noise,
and is only there to check that the browser computes what Python computes. ``npm run models``
runs again at the end without it, so that models/index.json does not offer it to a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1] / "mobile" / "web"

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _run(cmd, timeout, env=None):
    result = subprocess.run(cmd, cwd=WEB, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    return result


ADAIN_TEST_WEIGHTS = "random_init_parity_test_only.weights.h5"


def adain_test_weights(folder: Path) -> Path:
    """A random-weight AdaIN net (random VGG19 encoder, light decoder: Keras' random init,
    seeded, so the file's bytes and its export repeat) saved as ``zoo train adain`` does:
    the whole net's weights and a config.json beside them naming its architecture. Random:
    for browser-vs-Python parity only, never a style model."""
    import json

    import keras

    from zoo.models.adain import network

    config = {"backbone": "random", "decoder": "light", "seed": 0}
    keras.utils.set_random_seed(20261205)
    path = folder / ADAIN_TEST_WEIGHTS
    network.build(**config).save_weights(path)
    (folder / "config.json").write_text(json.dumps({"model": "adain", "model_config": config}))
    return path


def test_web_app_in_headless_chromium(tmp_path):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js (node, npm) is not installed: the web app's tests need it")
    if _chromium() is None:
        pytest.skip("no Chromium: `apt-get install -y chromium` (or set CHROMIUM=/path/to/it)")
    if not (WEB / "node_modules" / "playwright-core").exists():
        result = _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600)
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHON": sys.executable, "TF_CPP_MIN_LOG_LEVEL": "3"}
    weights = adain_test_weights(tmp_path)
    try:
        _browser_tests({**env, "ZOO_ADAIN_WEIGHTS": str(weights), "ZOO_ADAIN_SHAPES": "256x256"})
    finally:  # models/index.json without the random AdaIN pair (the user's own, where set)
        restore = {**env, "ZOO_ADAIN_WEIGHTS": os.environ.get("ZOO_ADAIN_WEIGHTS", "")}
        result = _run(["npm", "run", "models"], timeout=1200, env=restore)
        assert result.returncode == 0, f"npm run models failed:\n{result.stderr[-3000:]}"


def _browser_tests(env):
    result = _run(["npm", "run", "models"], timeout=1200, env=env)
    assert result.returncode == 0, f"npm run models failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    result = _run([sys.executable, "tools/reference.py"], timeout=600, env=env)
    assert result.returncode == 0, f"tools/reference.py failed:\n{result.stderr[-3000:]}"
    result = _run(["npm", "test"], timeout=600, env={**env, "ZOO_WEB_REFERENCE": "keep"})
    figures = [line for line in result.stdout.splitlines()
               if line.startswith("# ") and ("|" in line or "PSNR" in line or "pupil" in line
                                             or "offline" in line or "requests" in line
                                             or "adain" in line)]
    print("\n".join(figures))
    assert result.returncode == 0, f"node --test failed:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"
    assert "# fail 0" in result.stdout, result.stdout[-3000:]
    skipped = [line for line in result.stdout.splitlines() if "# SKIP" in line]
    if skipped:  # e.g. no face photo in /work/shared/data/eyes: say which and why
        pytest.skip("browser tests passed, some skipped: " + "; ".join(s.strip() for s in skipped))


def test_zoo_demo_prints_the_command_that_serves_the_web_app():
    """`zoo demo` ends with WEB_APP_COMMAND; every npm script it names exists, and the README
    gives the same command."""
    import json

    from zoo.cli.demo import WEB_APP_COMMAND

    scripts = json.loads((WEB / "package.json").read_text())["scripts"]
    for part in WEB_APP_COMMAND.split("&&")[1:]:
        words = part.split()
        assert words[0] == "npm" and (words[1] == "ci" or words[2] in scripts), part
    readme = (WEB.parents[1] / "README.md").read_text()
    assert WEB_APP_COMMAND in readme
