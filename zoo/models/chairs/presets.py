"""Pretrained chair generators. Same keys as ``zoo.models.vdsr.presets``; ``config`` holds
the arguments of :func:`zoo.models.chairs.build`."""

PRESETS: dict[str, dict] = {}
