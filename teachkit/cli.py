"""The command line, MkDocs-style: `teachkit build` (the default), `train`, `check`, `demo`,
`evaluate`, `site`, `teach`, `serve`. Every subcommand has `--help`.

`python build.py PHOTOS` is the shortcut for `build PHOTOS`: train, then render the site.
Errors in the user's input end the command with a plain message and exit code 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from teachkit import __version__, tfenv
from teachkit.errors import OutputError, TeachkitError, UsageError, printable

SUBCOMMANDS = ("build", "train", "check", "demo", "evaluate", "site", "teach", "serve")
#: Options of `teachkit` itself that may come before the command (or before PHOTOS).
GLOBAL_FLAGS = ("--verbose",)
VERBOSE_HELP = "also show TensorFlow's own messages and Python warnings (hidden by default)"


def _add_train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("photos", type=Path, help="folder with one sub-folder of photos per class")
    p.add_argument("--name", help="model name (default: the photos folder's name)")
    p.add_argument("--models-dir", type=Path, default=Path("models"), help="where models are written (default: models)")
    p.add_argument(
        "--base-from",
        type=Path,
        help="a Teachable Machine export (folder or .zip) whose MobileNetV2 serves as the pretrained base "
        "(also: the TEACHKIT_BASE environment variable)",
    )
    p.add_argument("--holdout", type=float, default=0.15, help="share of each class held out for measuring (0.15)")
    p.add_argument("--test-dir", type=Path, help="measure on this separate folder of photos instead of a held-out part")
    p.add_argument("--seed", type=int, default=0, help="random seed for the split and the training (0)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: the recipe's)")
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="add flipped, cropped, re-lit copies of each photo (default: on)",
    )
    p.add_argument(
        "--fine-tune",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also train the last MobileNetV2 blocks (slower; default: off)",
    )
    p.add_argument(
        "--not-sure",
        choices=("strict", "balanced", "off"),
        default="balanced",
        help="when the model says 'not sure': strict turns away the least sure quarter of the validation "
        "photos, balanced (default) the least sure 13%%, off always answers",
    )
    p.add_argument("--strict", action="store_true", help="treat dataset warnings as errors")


def _add_site_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("dist"), help="where the site is written (default: dist)")
    p.add_argument("--title", help="the site's title (default: the model's name)")
    p.add_argument(
        "--lang",
        metavar="CODE",
        help="the site's language unless a pupil chooses another: en, nl, fr, de or es "
        "(default: the browser's language, else English)",
    )


def _add_photos_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--photos",
        type=Path,
        help="the photos folder the model was trained on: the model card shows thumbnails of its held-out "
        "photos from this folder only (default: no thumbnails); for a Teachable Machine export, 'none of these' "
        "is fitted on these photos (without them its site has no such verdict)",
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teachkit",
        description="Teach a computer to recognise pictures: train a model from folders of photos and "
        "publish it as a website that works offline. `teachkit PHOTOS` is short for `teachkit build PHOTOS`.",
    )
    parser.add_argument("--version", action="version", version=f"teachkit {__version__}")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("build", help="train a model from PHOTOS, then render the site (the default)")
    _add_train_options(p)
    _add_site_options(p)

    p = sub.add_parser("train", help="train a model from PHOTOS into models/NAME/")
    _add_train_options(p)

    p = sub.add_parser("check", help="report on a folder of photos without training")
    p.add_argument("photos", type=Path)
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--json", type=Path, help="also write the report as JSON here")

    p = sub.add_parser("demo", help="make a synthetic dataset and run the whole pipeline on it")
    p.add_argument("--cache-dir", type=Path, help="where the demo photos are drawn (default: the user cache)")
    p.add_argument("--models-dir", type=Path, default=Path("models"))
    p.add_argument("--base-from", type=Path, help="as for `train`")
    p.add_argument("--no-site", action="store_true", help="train only, do not render the site")
    _add_site_options(p)

    p = sub.add_parser("evaluate", help="measure a model (ours or a Teachable Machine export) on a labelled folder")
    p.add_argument("model", type=Path, help="a model folder, or a Teachable Machine export folder or .zip")
    p.add_argument("photos", type=Path, help="folder with one sub-folder of photos per class")
    p.add_argument("--json", type=Path, help="also write the evaluation as JSON here")

    p = sub.add_parser("site", help="render the site for a model into dist/")
    p.add_argument("model", type=Path, help="a model folder, or a Teachable Machine export folder or .zip")
    _add_site_options(p)
    _add_photos_option(p)
    p.add_argument("--strict", action="store_true", help="fail on warnings too")

    p = sub.add_parser("teach", help="render a site for teaching only: the Teach page on the frozen base, no classes")
    p.add_argument("--out", type=Path, default=Path("dist"), help="where the site is written (default: dist)")
    p.add_argument(
        "--base-from",
        type=Path,
        help="a Teachable Machine export (folder or .zip) whose MobileNetV2 is the base "
        "(also: the TEACHKIT_BASE environment variable; default: Keras' ImageNet weights)",
    )
    p.add_argument("--title", help="the site's title (default: Teachkit)")
    p.add_argument(
        "--lang",
        metavar="CODE",
        help="the site's language unless a pupil chooses another: en, nl, fr, de or es "
        "(default: the browser's language, else English)",
    )

    p = sub.add_parser("serve", help="preview a rendered site on this computer")
    p.add_argument("dist", type=Path, nargs="?", default=Path("dist"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    for p in sub.choices.values():  # also after the command; SUPPRESS keeps a --verbose given before it
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """`teachkit PHOTOS ...` means `teachkit build PHOTOS ...` (also `teachkit --verbose PHOTOS`)."""
    args = list(argv)
    first = 0
    while first < len(args) and args[first] in GLOBAL_FLAGS:
        first += 1
    if first < len(args) and args[first] not in SUBCOMMANDS and not args[first].startswith("-"):
        args.insert(first, "build")
    return args


def _train_options(args: argparse.Namespace) -> Any:
    from teachkit.training.train import Recipe, TrainOptions

    if args.epochs is not None and args.epochs < 1:
        raise UsageError("--epochs must be at least 1.")
    if not 0 < args.holdout < 1:
        raise UsageError(f"--holdout must be between 0 and 1 (got {args.holdout}).")
    epochs = {} if args.epochs is None else {"epochs": args.epochs}  # else the recipe's own
    recipe = Recipe(augment=args.augment, fine_tune=args.fine_tune, seed=args.seed, not_sure=args.not_sure, **epochs)
    return TrainOptions(
        photos=args.photos,
        name=args.name,
        models_dir=args.models_dir,
        base_from=args.base_from,
        holdout=args.holdout,
        test_dir=args.test_dir,
        recipe=recipe,
        strict=args.strict,
    )


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that cannot be written: a refusal costs nothing."""
    from teachkit import fileio

    if getattr(args, "json", None) is not None:
        fileio.check_writable_file(args.json)
    if getattr(args, "models_dir", None) is not None:
        fileio.check_writable_folder(args.models_dir)
    if getattr(args, "photos", None) is not None and args.command == "site" and not args.photos.is_dir():
        raise OutputError(f"There is no photos folder at {args.photos}.")
    if args.command in ("build", "site", "demo", "teach") and not getattr(args, "no_site", False):
        from teachkit.site import i18n
        from teachkit.site.render import check_out

        i18n.check(args.lang)  # before training: a build must not end on a typo
        check_out(args.out)  # writable, and a site of ours or empty
    if args.command == "serve" and not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be a number from 0 to 65535 (0 picks a free one; got {args.port}).")


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are local: `--help` and `check` must not pay for importing TensorFlow.
    _check_outputs(args)
    if args.command in ("build", "train"):
        opts = _train_options(args)
        from teachkit.training.train import train

        model_dir = train(opts).model_dir
        if args.command == "build":
            from teachkit.site import build_site

            build_site(model_dir, args.out, title=args.title, strict=args.strict, photos=args.photos, lang=args.lang)
        return 0
    if args.command == "check":
        from teachkit.data.report import run_check

        return run_check(args.photos, strict=args.strict, json_path=args.json)
    if args.command == "demo":
        from teachkit.demo import run_demo

        return run_demo(args)
    if args.command == "evaluate":
        from teachkit.evaluation.evaluate import run_evaluate

        return run_evaluate(args.model, args.photos, json_path=args.json)
    if args.command == "site":
        from teachkit.site import build_site

        build_site(args.model, args.out, title=args.title, strict=args.strict, photos=args.photos, lang=args.lang)
        return 0
    if args.command == "teach":
        from teachkit.site.render import build_teach_site

        build_teach_site(args.out, base_from=args.base_from, title=args.title, lang=args.lang)
        return 0
    if args.command == "serve":
        from teachkit.site import serve

        serve(args.dist, host=args.host, port=args.port)
        return 0
    raise AssertionError(args.command)


#: The flag of each setting a library message may be about (``TeachkitError.option``).
OPTION_FLAGS = {
    "base_from": "--base-from PATH",
    "lang": "--lang",
    "out": "--out",
    "port": "--port",
    "strict": "--strict",
}


def describe(error: TeachkitError) -> str:
    """The sentence a teacher reads: the library's message, terminal-safe, with its option's flag."""
    text = printable(str(error))
    flag = OPTION_FLAGS.get(error.option or "")
    return f"{text} (option {flag})" if flag else text


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(_normalise_argv(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return 0
    tfenv.configure(verbose=args.verbose)  # before anything imports TensorFlow
    try:
        return _dispatch(args)
    except TeachkitError as e:
        print(f"\nteachkit: {describe(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nteachkit: stopped.", file=sys.stderr)
        return 130
