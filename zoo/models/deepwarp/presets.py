"""Pretrained DeepWarp weights (none shipped yet); same keys as ``zoo.models.vdsr.presets``."""

PRESETS: dict[str, dict] = {}
