"""One package per paper. Each exposes ``build(**config)`` and ``PRESETS``."""

FAMILIES = {
    "vdsr": "zoo.models.vdsr",
    "dip": "zoo.models.dip",
    "stn": "zoo.models.stn",
    "deepwarp": "zoo.models.deepwarp",
    "texture_nets": "zoo.models.texture_nets",
}
