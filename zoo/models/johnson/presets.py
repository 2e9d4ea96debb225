"""Pretrained Johnson et al. transform nets. Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.johnson.build`. A transform net is
trained per style (``zoo train johnson``); the first entry is the default."""

PRESETS: dict[str, dict] = {
    "johnson_shipwreck_phone_cpu": {
        "description": ("phone-width (8/16/32) resize-variant transform net for Turner's The "
                        "Shipwreck, random-feature loss (no ImageNet VGG here), 1,600 steps of "
                        "4 on BSD200 crops on 2 CPU cores (a preview)"),
        "config": {"width": "phone", "normalization": "instance", "variant": "resize",
                   "task": "style", "scale": 4},
        "file": "johnson_shipwreck_phone_cpu.weights.h5",
        "sha256": "e83f0bbe9b5c6ca641fadc05451a25c4fad2683016f1530bb8f588dc459e18bc",
        "card": "johnson_shipwreck_phone_cpu.md",
        "metrics": {"style loss on 4 Set5 photos, 128 px": "270 (untrained net 47,174)",
                    "content loss": "391 (untrained 520)"},
    },
}
