"""Pretrained Johnson et al. transform nets. Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.johnson.build`. A transform net is
trained per style (``zoo train johnson``); none is shipped yet."""

PRESETS: dict[str, dict] = {}
