"""AdaIN presets: none yet (no decoder trained on an ImageNet VGG19 with a card here)."""

PRESETS: dict = {}
