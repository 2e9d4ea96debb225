"""Pretrained STN weights (none shipped yet). Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.stn.build`."""

PRESETS: dict[str, dict] = {}
