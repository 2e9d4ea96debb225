"""Training: data pipelines, losses, optimizers, one generic trainer, one recipe per model.

Installed as ``zoo.training``. Recipes import models; models never import this.
"""
