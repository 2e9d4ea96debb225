"""``zoo train FAMILY``: train a model with its recipe (resumes in RUN_DIR after a kill)."""

from __future__ import annotations

import os

from zoo.cli.checks import check_folder
from zoo.errors import ZooError
from zoo.options import COUNT, COUNT_OR_ZERO, NON_NEGATIVE, POSITIVE, SEED, downscales, integer, number, scales

TRAINABLE = ("vdsr", "stn", "deepwarp", "texture_nets")


# ---------------------------------------------------------------- train
def add_parser(commands):
    train = commands.add_parser("train", help="train a model (resumes in RUN_DIR after a kill)")
    models = train.add_subparsers(dest="model", required=True, metavar="{" + ",".join(TRAINABLE) + "}")
    _add_train_vdsr(models)
    _add_train_stn(models)
    _add_train_deepwarp(models)
    _add_train_texture_nets(models)
    train.set_defaults(on_interrupt="run the same command again to resume from the last "
                                    "checkpoint in {out}")


STRATEGIES = ("auto", "default", "mirrored", "multiworker")
STRATEGY_HELP = ("auto: every local GPU (MirroredStrategy); mirrored: forced, over the CPUs "
                 "without a GPU; multiworker: several machines, each running this command with "
                 "its TF_CONFIG (the chief, worker 0, writes the run into its --out)")


def _run_options(p):
    """The options every recipe shares (the resumable trainer's)."""
    p.add_argument("--out", required=True, metavar="RUN_DIR",
                   help="checkpoints, logs, final.weights.h5; run again to resume")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--strategy", choices=STRATEGIES, default="auto", help=STRATEGY_HELP)
    p.add_argument("--checkpoint-every", type=COUNT, default=200, metavar="STEPS")


def _check_run(args) -> None:
    """The run folder, and for --strategy multiworker this worker's TF_CONFIG, before any work."""
    check_folder(args.out)
    if args.strategy == "multiworker":  # made first: TensorFlow allows it only before any work
        from zoo.training.multiworker import worker_strategy

        worker_strategy()


def _chief_writes(args) -> bool:
    """On a multi-worker run's other workers: say so; the chief evaluates and writes."""
    from zoo.training.trainer import writes_files

    if writes_files(args.strategy):
        return False
    print(f"done: the chief of this run writes its weights in {args.out}")
    return True


def _add_train_stn(models):
    p = models.add_parser("stn", help="ST-CNN (or the CNN baseline) on distorted MNIST")
    _run_options(p)
    p.add_argument("--distortion", choices=("R", "RTS", "P", "E"), default="RTS")
    p.add_argument("--model", dest="variant", choices=("stn", "cnn"), default="stn")
    p.add_argument("--data", metavar="DIR", help="folder of the MNIST t10k idx files "
                   "(default: $ZOO_DATA/mnist or ../shared/data/mnist)")
    p.add_argument("--epochs", type=COUNT, default=20)
    p.add_argument("--batch-size", type=COUNT, default=64)
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="adam")
    p.add_argument("--lr", type=POSITIVE, help="default: adam 1e-3, sgd 0.01")
    p.set_defaults(run=_run_train_stn)


def _run_train_stn(args):
    _check_run(args)
    from zoo.training import stn

    recipe = stn.STNRecipe(kind=args.distortion, model=args.variant, epochs=args.epochs,
                           batch_size=args.batch_size, optimizer=args.optimizer,
                           learning_rate=args.lr, seed=args.seed, data=args.data)
    split = stn.load_split(recipe)
    model, _ = stn.train(recipe, out_dir=args.out, split=split, strategy=args.strategy,
                         checkpoint_every=args.checkpoint_every)
    if _chief_writes(args):
        return
    error = stn.evaluate(model, split)
    print(f"test error ({args.distortion}, last 2,000 t10k digits): {error:.2f}%")
    print(f"weights: {os.path.join(args.out, 'final.weights.h5')}")


def _add_train_deepwarp(models):
    p = models.add_parser("deepwarp", help="DeepWarp on procedurally rendered eye pairs")
    _run_options(p)
    p.add_argument("--epochs", type=COUNT, default=10)
    p.add_argument("--steps-per-epoch", type=COUNT, default=200)
    p.add_argument("--batch-size", type=COUNT, default=32)
    p.add_argument("--lr", type=POSITIVE, default=1e-3)
    p.add_argument("--bank-pairs", type=COUNT_OR_ZERO, default=4096,
                   help="pairs rendered once and cached in RUN_DIR/bank.npz (0: render every batch)")
    p.add_argument("--processes", type=COUNT, default=2, help="rendering processes")
    p.add_argument("--no-lightness", action="store_true", help="ablation: no lightness correction")
    p.add_argument("--embedding-at", choices=("every", "input"), default="every",
                   help="angle embedding joined to every conv (default) or to each module's "
                        "input only (much faster in int8)")
    p.add_argument("--eval-pairs", type=COUNT_OR_ZERO, default=500,
                   help="held-out pairs for the final MSE")
    p.set_defaults(run=_run_train_deepwarp)


def _run_train_deepwarp(args):
    _check_run(args)
    from zoo.training import deepwarp

    recipe = deepwarp.DeepWarpRecipe(
        batch_size=args.batch_size, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        learning_rate=args.lr, bank_pairs=args.bank_pairs or None, processes=args.processes,
        lightness=not args.no_lightness, embedding_at=args.embedding_at, seed=args.seed,
        checkpoint_every=args.checkpoint_every)
    model, _ = deepwarp.train(recipe, args.out, strategy=args.strategy)
    if _chief_writes(args):
        return
    if args.eval_pairs:
        scores = deepwarp.evaluate(model, n_pairs=args.eval_pairs, processes=args.processes)
        print(f"held-out MSE on {scores['n_pairs']} pairs: model {scores['model']:.3e}, "
              f"no warp {scores['no_warp']:.3e}")
    print(f"weights: {os.path.join(args.out, 'final.weights.h5')}")


def _add_train_texture_nets(models):
    p = models.add_parser("texture_nets", help="a Texture Network for one texture, or one style "
                          "(with --content): a generator for phones")
    _run_options(p)
    p.add_argument("--texture", required=True, metavar="IMG",
                   help="the exemplar texture, or the style image with --content")
    p.add_argument("--content", metavar="DIR",
                   help="stylization: a folder of content photos (e.g. MS-COCO)")
    p.add_argument("--steps", type=COUNT, default=300)
    p.add_argument("--steps-per-epoch", type=COUNT, default=50)
    p.add_argument("--batch-size", type=COUNT, default=4)
    p.add_argument("--image-size", type=COUNT, default=128,
                   help="training samples (a multiple of 2^(scales-1))")
    p.add_argument("--scales", type=COUNT, default=5)
    p.add_argument("--normalization", choices=("instance", "batch"), default="instance")
    p.add_argument("--backbone", choices=("random", "vgg19", "vgg16"), default="random",
                   help="loss network: random multi-scale filters (no download) or ImageNet "
                        "VGG (the papers'; needs its weights in ~/.keras/models)")
    p.add_argument("--style-weight", type=POSITIVE, default=1.0)
    p.add_argument("--content-weight", type=NON_NEGATIVE, default=1e-3)
    p.add_argument("--diversity-weight", type=NON_NEGATIVE, default=0.0,
                   help="Improved Texture Networks' diversity term (needs --batch-size >= 2)")
    p.add_argument("--lr", type=POSITIVE, default=0.1)
    p.set_defaults(run=_run_train_texture_nets)


def _run_train_texture_nets(args):
    _check_run(args)
    from zoo.training import texture_nets as tn

    try:
        recipe = tn.TextureRecipe(
            mode="stylization" if args.content else "texture", texture=args.texture,
            content=args.content, image_size=args.image_size, scales=args.scales,
            normalization=args.normalization, backbone=args.backbone,
            style_weight=args.style_weight, content_weight=args.content_weight,
            diversity_weight=args.diversity_weight, batch_size=args.batch_size,
            learning_rate=args.lr, steps=args.steps, steps_per_epoch=args.steps_per_epoch,
            seed=args.seed)
    except ValueError as err:
        raise ZooError(str(err)) from None
    texture = tn.load_texture(recipe)  # bad input fails here, in one line, before any building
    generator, _ = tn.train(recipe, args.out, texture=texture, strategy=args.strategy,
                            checkpoint_every=args.checkpoint_every)
    if _chief_writes(args):
        return
    sample = _texture_nets_sample(generator, args.out, args.content)
    print(f"sample: {sample}")
    print(f"weights: {os.path.join(args.out, 'generator.weights.h5')} (zoo export texture_nets "
          f"--weights that file --quantize float16 --out F.tflite)")


def _texture_nets_sample(generator, out_dir, content, size: int = 256) -> str:
    """Write ``RUN_DIR/sample.png``: a fresh texture, or a content crop beside its stylization."""
    import numpy as np

    from zoo.models.texture_nets.export import content_crops
    from zoo.image import write_image
    from zoo.models.texture_nets import size_multiple
    from zoo.models.texture_nets import sample

    m = size_multiple(generator)
    size = max(size // m * m, m)
    if content:
        photo = content_crops(1, size, seed=0, folder=content)
        image = np.concatenate([photo[0], sample(generator, size, 1, 0, photo)[0]], axis=1)
    else:
        image = sample(generator, size, 1, seed=0)[0]
    return str(write_image(os.path.join(out_dir, "sample.png"), image))


def _add_train_vdsr(models):
    p = models.add_parser("vdsr", help="VDSR on image folders (the paper's recipe by default)")
    p.add_argument("--data", nargs="+", required=True, metavar="DIR", help="image folders")
    _run_options(p)
    p.add_argument("--scales", type=scales, default=[2, 3, 4])
    p.add_argument("--epochs", type=COUNT, default=80)
    p.add_argument("--steps-per-epoch", type=COUNT, help="default: one pass over the patches")
    p.add_argument("--batch-size", type=COUNT, default=64, help="global batch (all replicas)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--lr", type=POSITIVE, help="initial learning rate (sgd 0.1, adam 1e-4)")
    p.add_argument("--lr-decay-epochs", type=COUNT, default=20)
    p.add_argument("--momentum", type=number(0.0, 1.0), default=0.9)
    p.add_argument("--weight-decay", type=NON_NEGATIVE, default=1e-4)
    p.add_argument("--clip", choices=("adjustable", "norm"), default="adjustable",
                   help="sgd: the paper's per-element clipping, or global-norm clipping")
    p.add_argument("--clip-theta", type=POSITIVE, default=1e-4,
                   help="adjustable clipping: gradients clipped to [-theta/lr, theta/lr]")
    p.add_argument("--clip-norm", type=POSITIVE, default=0.4,
                   help="--clip norm: gradients scaled to a global L2 norm of at most this")
    p.add_argument("--downscales", type=downscales, default=[1.0], metavar="F,F,...",
                   help="also train on the images shrunk by these factors, e.g. 1,0.7,0.5")
    p.add_argument("--patch-size", type=COUNT, default=41)
    p.add_argument("--stride", type=COUNT, help="between patches (default: the patch size)")
    p.add_argument("--steps-per-execution", type=COUNT, default=1,
                   help="training steps per call from Python (e.g. 16 on a GPU)")
    p.add_argument("--init-weights", metavar="W.weights.h5",
                   help="fine-tune: start from these weights instead of He initialisation")
    p.add_argument("--no-biases", dest="biases", action="store_false",
                   help="biases fixed at zero, as in twtygqyy/pytorch-vdsr (see --clip norm)")
    p.add_argument("--depth", type=integer(2), default=20)
    p.add_argument("--filters", type=COUNT, default=64)
    p.add_argument("--cache-dir", help="where the prepared patches are cached (default RUN_DIR/cache)")
    p.set_defaults(run=_run_train)


def vdsr_recipe(args):
    """The :class:`~zoo.training.vdsr.VDSRRecipe` of parsed ``zoo train vdsr`` arguments."""
    from zoo.training.vdsr import VDSRRecipe

    return VDSRRecipe(
        data=args.data, scales=tuple(args.scales), batch_size=args.batch_size,
        epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, optimizer=args.optimizer,
        learning_rate=args.lr, lr_decay_epochs=args.lr_decay_epochs, momentum=args.momentum,
        weight_decay=args.weight_decay, clip=args.clip, clip_theta=args.clip_theta,
        clip_norm=args.clip_norm, downscales=tuple(args.downscales), patch_size=args.patch_size,
        stride=args.stride or args.patch_size, depth=args.depth, filters=args.filters,
        seed=args.seed, cache_dir=args.cache_dir, steps_per_execution=args.steps_per_execution,
        init_weights=args.init_weights, biases=args.biases)


def _run_train(args):
    _check_run(args)
    from zoo.training.vdsr import train

    train(vdsr_recipe(args), out_dir=args.out, strategy=args.strategy,
          checkpoint_every=args.checkpoint_every)
    if _chief_writes(args):
        return
    print(f"weights: {os.path.join(args.out, 'final.weights.h5')}")


