"""The shipped Texture Network (gravel): fresh noise gives new samples with the exemplar's statistics."""

from importlib import resources

import numpy as np
import pytest

from zoo.models import texture_nets


@pytest.mark.skipif(not texture_nets.PRESETS, reason="no Texture Network preset ships yet")
def test_pretrained_generator_samples_differ_but_match_the_exemplar():
    import zoo
    from zoo.models.texture_nets import build
    from zoo.training import texture_nets as tn

    exemplar = str(resources.files("zoo.demo") / "textures" / "gravel.png")
    recipe = tn.Config(texture=exemplar, texture_size=None)
    trained = zoo.load("texture_nets")
    samples = tn.sample(trained, 128, n=2, seed=11)
    assert np.abs(samples[0] - samples[1]).mean() > 0.05  # different noise, different image
    texture = tn.load_texture(recipe)
    losses = tn.texture_loss(samples, texture, tn.descriptor(recipe), recipe.layers()[0])
    fresh = build()
    untrained = tn.texture_loss(tn.sample(fresh, 128, n=2, seed=11), texture,
                                tn.descriptor(recipe), recipe.layers()[0])
    assert losses.max() < 0.05 * untrained.min(), (losses, untrained)
    assert losses.max() < 2 * losses.min(), losses  # both match the statistics alike
