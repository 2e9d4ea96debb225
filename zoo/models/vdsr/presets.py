"""Pretrained VDSR weights. Each entry ships with a model card in ``zoo/weights/cards``.

Keys: ``description``; ``config`` (arguments of ``VDSR``); ``file`` (name of the
``.weights.h5``, shipped in ``zoo/weights/files`` or cached from ``url``);
``sha256``; ``card``; ``metrics`` (the Set5 table printed by ``zoo eval``).
"""

PRESETS: dict[str, dict] = {}
