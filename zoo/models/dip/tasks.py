"""Deep Image Prior's per-task settings, from the official notebooks.

Each task names its network (``architecture`` + arguments of
:mod:`zoo.models.dip.architectures`) and its fitting hyper-parameters. The
values come from the notebooks of DmitryUlyanov/deep-image-prior at commit
042e0d4 (``denoising.ipynb``, ``super-resolution.ipynb``, ``inpainting.ipynb``,
``restoration.ipynb``); the paper's supplementary describes the same networks.
Where a notebook and the paper disagree, the notebook wins: it produced the
figures. Notes:

* ``input``: ``"noise"`` is ``z ~ U(0, 1) * 0.1`` (``get_noise(..., var=1/10)``),
  ``"meshgrid"`` two channels of x and y coordinates in [0, 1].
* ``reg_noise_std``: std of the Gaussian added to ``z`` at every step.
* ``exp_weight``: the output average ``avg = w avg + (1 - w) out``; only the
  denoising notebook smooths (0.99), the others report the last output.
* ``guard_every``: the "backtracking" of the denoising (every step) and
  restoration (every 50 steps) notebooks: when the fit PSNR drops by more than
  5 dB, the parameters go back to the last good copy, saved every
  ``guard_every`` steps. 0 turns it off, as in the SR and inpainting notebooks.
* The library notebook's ``param_noise`` is not ported: its line
  ``n = n + n.detach().clone().normal_() * n.std() / 50`` rebinds a local name
  and never touches the parameters, so it does nothing there either.
* ``iterations`` follows the notebooks (the inpainting ones run one step more
  than their round numbers: 6001, 5001, 3001).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# get_net(..., 'skip', skip_n33d=128, skip_n33u=128, skip_n11=4, num_scales=5,
# upsample_mode='bilinear'): the net of denoising, super-resolution and restoration.
_SKIP_128 = {"channels_down": (128,) * 5, "channels_up": (128,) * 5,
             "channels_skip": (4,) * 5, "upsample_mode": "bilinear"}


@dataclass(frozen=True)
class DIPTask:
    """One task's network and fitting settings."""

    description: str
    architecture: str
    network: dict
    input: str = "noise"
    input_depth: int = 32
    learning_rate: float = 0.01
    iterations: int = 3000
    reg_noise_std: float = 0.03
    exp_weight: float = 0.0
    guard_every: int = 0
    extra: dict = field(default_factory=dict)


TASKS: dict[str, DIPTask] = {
    "denoising": DIPTask(
        "Gaussian denoising (F16, sigma 25): denoising.ipynb",
        "skip", _SKIP_128, learning_rate=0.01, iterations=3000,
        reg_noise_std=1.0 / 30.0,  # "set to 1./20. for sigma=50"
        exp_weight=0.99, guard_every=1),
    "sr": DIPTask(
        "4x super-resolution with the Lanczos-2 downsampler: super-resolution.ipynb",
        "skip", _SKIP_128, learning_rate=0.01, iterations=2000, reg_noise_std=0.03,
        extra={"iterations_x8": 4000, "reg_noise_std_x8": 0.05}),
    "inpainting": DIPTask(
        "text inpainting (kate): inpainting.ipynb, Fig. 7 top",
        "skip", {"channels_down": (128,) * 5, "channels_up": (128,) * 5,
                 "channels_skip": (128,) * 5, "upsample_mode": "nearest"},
        learning_rate=0.01, iterations=6001, reg_noise_std=0.03),
    "inpainting_holes": DIPTask(
        "large-hole inpainting (library): inpainting.ipynb 'skip_depth6', Fig. 8",
        "skip", {"channels_down": (16, 32, 64, 128, 128, 128),
                 "channels_up": (16, 32, 64, 128, 128, 128), "channels_skip": (0,) * 6,
                 "filter_size_down": 5, "filter_size_up": 3, "upsample_mode": "nearest",
                 "need1x1_up": False},
        input_depth=1, learning_rate=0.01, iterations=3001, reg_noise_std=0.0),
    "inpainting_meshgrid": DIPTask(
        "region inpainting from a meshgrid input (vase): inpainting.ipynb, Fig. 6",
        "hourglass", {"channels_down": (128,) * 5, "channels_up": (128,) * 5,
                      "upsample_mode": "nearest"},
        input="meshgrid", input_depth=2, learning_rate=0.01, iterations=5001,
        reg_noise_std=0.03),
    "restoration": DIPTask(
        "restoration of 50% missing pixels (barbara): restoration.ipynb, Fig. 7 bottom",
        "skip", _SKIP_128, learning_rate=0.001, iterations=11000, reg_noise_std=0.03,
        guard_every=50),
    "demo": DIPTask(
        "a light skip net for quick CPU runs (zoo demo, tests); not a paper setting",
        "skip", {"channels_down": (16, 32, 64, 64), "channels_up": (16, 32, 64, 64),
                 "channels_skip": (4, 4, 4, 4), "upsample_mode": "bilinear"},
        learning_rate=0.01, iterations=600, reg_noise_std=0.03),
}
