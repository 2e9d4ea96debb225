"""Pretrained Texture Networks generators. Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.texture_nets.build`. None yet:
a generator is trained per texture or style (``zoo.training.texture_nets``)."""

PRESETS: dict[str, dict] = {}
