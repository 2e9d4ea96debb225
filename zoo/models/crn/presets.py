"""Pretrained cascaded refinement networks. Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.crn.build`. Empty until a trained net
with a card exists (``zoo train crn``)."""

PRESETS: dict[str, dict] = {}
