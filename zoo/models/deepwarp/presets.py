"""Pretrained DeepWarp weights. Same keys as ``zoo.models.vdsr.presets``; ``config`` holds the
arguments of :func:`zoo.models.deepwarp.build`. The first entry is the default."""

PRESETS: dict[str, dict] = {
    "deepwarp_rendered_cpu": {
        "description": ("DeepWarp, vertical redirection within +-15 degrees, 41x51 eye patches, "
                        "trained on procedurally rendered eyes for 2,000 steps on 2 CPU cores"),
        "config": {"angle_dims": 1},
        "file": "deepwarp_rendered_cpu.weights.h5",
        "sha256": "aae57fe1bfd9039ea54f50f3f3951d135edd95fcb987cae90e1b3a2c95edd469",
        "card": "deepwarp_rendered_cpu.md",
        "metrics": {"held-out rendered pairs, MSE": "2.06e-4 = 36.86 dB (no warp 2.38e-3 = 26.23 "
                    "dB; without lightness correction 2.43e-4 = 36.14 dB)"},
    },
    "deepwarp_rendered_fast_cpu": {
        "description": ("DeepWarp for phones: the angle embedding joined to each warping module's "
                        "input only (embedding_at='input'); int8 about twice as fast, 0.6 dB less "
                        "accurate; same data and recipe, 2,000 steps on 2 CPU cores"),
        "config": {"angle_dims": 1, "embedding_at": "input"},
        "file": "deepwarp_rendered_fast_cpu.weights.h5",
        "sha256": "c6b1580c7519af70bcf9e9ace46d672cf8f8cc5abd4dfb91f4baafde9cc41953",
        "card": "deepwarp_rendered_fast_cpu.md",
        "metrics": {"held-out rendered pairs, MSE": "2.39e-4 = 36.22 dB (no warp 2.38e-3 = 26.23 "
                    "dB); int8 4.4 ms per eye pair against 8.7 ms for deepwarp_rendered_cpu, "
                    "measured in the same session"},
    },
}
