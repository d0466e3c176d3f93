"""Lab bench for issue 11's recipe levers: which change beats Teachable Machine on later photos?

    python bench/levers.py [--seeds 5] [--levers depth,head] [--only NAME ...]

Embeds every trashnet-subset photo (and its 6 augmented views, exactly those `train` uses) ONCE
through a MobileNetV2 cut at several depths, each globally pooled (average and max), and keeps
that wide table in its own cache (models/.cache/levers/). Each lever is then a choice of columns
(features from more than one depth) or a change to the head's training (label smoothing, mixup
of embeddings, weight decay, dropout, an ensemble of heads, flip test-time augmentation), run on
the same splits as bench/recipes.py ("random": ceil(15%) held out; "later": trained on photos
1-100 of each class, measured on 101-150), 5 seeds, against Teachable Machine's recipe on the
same preprocessing. Prints each lever's mean, sd, min per split and its per-seed difference.
"""

from __future__ import annotations

import hashlib
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import accuracy_options  # noqa: E402

from teachkit import tfenv  # noqa: E402
from teachkit.data import dataset, photos  # noqa: E402
from teachkit.evaluation import calibration  # noqa: E402
from teachkit.features import augment, basemodel, embeddings, lite  # noqa: E402
from teachkit.training import head  # noqa: E402
from teachkit.training.train import Recipe, fit  # noqa: E402

#: The depths tried: the last layer (Teachable Machine's), and block outputs from 7x7 to 56x56.
DEPTHS = (
    "out_relu",
    "block_16_project_BN",
    "block_16_expand_relu",
    "block_15_expand_relu",
    "block_14_expand_relu",
    "block_13_expand_relu",
    "block_12_expand_relu",
    "block_10_expand_relu",
    "block_8_expand_relu",
    "block_6_expand_relu",
    "block_3_expand_relu",
)
POOLS = ("avg", "max")


def _recipes() -> Any:
    spec = importlib.util.spec_from_file_location("recipes", ROOT / "bench" / "recipes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wide_model(base: basemodel.BaseModel) -> tuple[Any, dict[str, slice]]:
    """One forward pass, every depth of DEPTHS pooled both ways, concatenated; the columns of each."""
    keras = tfenv.keras()
    net = base.model.layers[0]  # the MobileNetV2 inside Teachable Machine's base Sequential
    parts, columns, start = [], {}, 0
    for name in DEPTHS:
        out = net.get_layer(name).output
        for pool in POOLS:
            layer = keras.layers.GlobalAveragePooling2D() if pool == "avg" else keras.layers.GlobalMaxPooling2D()
            parts.append(layer(out))
            width = int(out.shape[-1])
            columns[f"{name}/{pool}"] = slice(start, start + width)
            start += width
    return keras.Model(net.input, keras.layers.Concatenate()(parts)), columns


def wide_table(infos: Sequence, base: basemodel.BaseModel, cache: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """(N, D) features and (N, COPIES, D) augmented views' features, from the cache or computed."""
    model, columns = wide_model(base)
    key = hashlib.sha256(
        "|".join([base.id, augment.VERSION, str(augment.COPIES), *DEPTHS, *POOLS, *(i.digest for i in infos)]).encode()
    ).hexdigest()[:16]
    path = cache / f"wide-{key}.npz"
    if path.is_file():
        data = np.load(path)
        return data["plain"].astype(np.float32), data["views"].astype(np.float32), columns
    started = time.perf_counter()
    run = lite.LiteBase(lite.convert(model), threads=1)
    everyone = set(range(len(infos)))
    chunks = [list(range(s, min(s + 8, len(infos)))) for s in range(0, len(infos), 8)]
    plain, views = [], []
    with ThreadPoolExecutor(2) as prepare:
        for out_chunk, chunk in zip(
            map(run, prepare.map(lambda c: embeddings._inputs(infos, c, everyone), chunks)), chunks, strict=True
        ):
            rows = out_chunk.reshape(len(chunk), 1 + augment.COPIES, -1)
            plain.append(rows[:, 0])
            views.append(rows[:, 1:])
    plain_a, views_a = np.concatenate(plain), np.concatenate(views)
    print(f"  ({time.perf_counter() - started:.0f} s, {plain_a.shape[1]} columns)")
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, plain=plain_a.astype(np.float16), views=views_a.astype(np.float16))
    return plain_a, views_a, columns


@dataclass(frozen=True)
class AugSpec:
    """An augmentation recipe tried as a lever: "v1" is `augment.view` as it stands (with quarter
    turns since augment v2; the figures of the "v1" levers before that change were mirrors only),
    the others the knobs below."""

    name: str
    copies: int = 6
    rotate: float = 0.0  # degrees, uniform in +-rotate, then the largest upright square inside
    crop_min: float = 0.7
    dihedral: bool = False  # also quarter turns and vertical flips
    colour: float = 0.15
    brightness: float = 0.25
    contrast: float = 0.3
    grey: float = 0.0  # chance of a greyscale copy


AUGS = {
    "v1": AugSpec("v1"),
    "rot20": AugSpec("rot20", rotate=20),
    "rot20x12": AugSpec("rot20x12", copies=12, rotate=20),
    "dihedral": AugSpec("dihedral", dihedral=True),
    "strong": AugSpec("strong", rotate=20, crop_min=0.55, colour=0.25, brightness=0.35, contrast=0.4, grey=0.2),
}


def aug_view(x: np.ndarray, digest: str, index: int, spec: AugSpec) -> np.ndarray:
    """augment.view with the knobs of ``spec`` (v1 gives augment.view's own views)."""
    from PIL import Image

    from teachkit.data.images import NumpyOps

    if spec.name == "v1":
        return augment.view(x, digest, index)
    rng = augment._rng(f"{spec.name}:{digest}", index)
    size = x.shape[0]
    if spec.dihedral:
        x = np.rot90(x, int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        x = x[:, ::-1]
    if spec.rotate:
        angle = float(rng.uniform(-spec.rotate, spec.rotate))
        chans = [
            np.asarray(Image.fromarray(np.ascontiguousarray(x[..., c])).rotate(angle, Image.BILINEAR)) for c in range(3)
        ]
        x = np.stack(chans, -1)
        rad = np.deg2rad(abs(angle))
        inner = int(size / (np.cos(rad) + np.sin(rad)))
        off = (size - inner) // 2
        x = NumpyOps().resize(x[off : off + inner, off : off + inner], size)
    side = int(size * rng.uniform(spec.crop_min, 1.0))
    top, left = rng.integers(0, size - side + 1, size=2)
    x = NumpyOps().resize(np.ascontiguousarray(x[top : top + side, left : left + side]), size)
    mean = x.mean()
    x = (x - mean) * rng.uniform(1 - spec.contrast, 1 + spec.contrast) + mean
    x = x + rng.uniform(-spec.brightness, spec.brightness)
    x = x * rng.uniform(1 - spec.colour, 1 + spec.colour, size=3).astype(np.float32)
    if spec.grey and rng.random() < spec.grey:
        x = np.repeat(x.mean(-1, keepdims=True), 3, -1)
    return np.clip(x, augment.LOW, augment.HIGH).astype(np.float32)


def aug_table(infos: Sequence, base: basemodel.BaseModel, cache: Path, spec: AugSpec) -> np.ndarray:
    """(N, copies, D) views' features under ``spec``, D the wide table's columns."""
    model, _ = wide_model(base)
    key = hashlib.sha256(
        "|".join([base.id, repr(spec), *DEPTHS, *POOLS, *(i.digest for i in infos)]).encode()
    ).hexdigest()[:16]
    path = cache / f"aug-{spec.name}-{key}.npy"
    if path.is_file():
        return np.load(path).astype(np.float32)
    from teachkit.data import images

    started = time.perf_counter()
    run = lite.LiteBase(lite.convert(model), threads=1)

    def inputs(chunk: list[int]) -> np.ndarray:
        rows = []
        for i in chunk:
            x = images.to_input(photos.decode(infos[i].path))
            rows += [aug_view(x, infos[i].digest, k, spec) for k in range(spec.copies)]
        return np.stack(rows)

    chunks = [list(range(s, min(s + 4, len(infos)))) for s in range(0, len(infos), 4)]
    out = []
    with ThreadPoolExecutor(2) as prepare:
        for got, chunk in zip(map(run, prepare.map(inputs, chunks)), chunks, strict=True):
            out.append(got.reshape(len(chunk), spec.copies, -1))
    table = np.concatenate(out)
    print(f"augmented table {spec.name}: {time.perf_counter() - started:.0f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, table.astype(np.float16))
    return table.astype(np.float32)


@dataclass(frozen=True)
class Lever:
    """A feature set (columns of the wide table) and a head recipe."""

    name: str
    parts: tuple[str, ...] = ("out_relu/avg",)
    scale: str = "raw"  # raw | standard (per column, from the training rows: foldable into Dense 1)
    trainer: str = "teachkit"  # teachkit (train.fit as it is) | lab (the lab trainer below)
    smoothing: float = 0.0
    mixup: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.0
    heads: int = 1
    hidden: int = 100  # units per head
    subspace: float = 0.0  # each head sees this share of the columns, drawn at random (0: all)
    flip_tta: bool = False
    aug: str = "v1"
    norm: str = ""  # "layer": each part standardised per photo (tfjs' LayerNormalization)


def select(table: np.ndarray, columns: dict[str, slice], parts: Sequence[str]) -> np.ndarray:
    return np.concatenate([table[..., columns[p]] for p in parts], axis=-1)


# -- a lab trainer: Teachkit's recipe (Adam, reshuffled, class-weighted, early stopping on the
# validation slice, refit on train+validation for the best epoch count), plus the head-side levers.


def lab_head(
    x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, x_all: np.ndarray, y_all: np.ndarray,
    n_classes: int, lever: Lever, seed: int, epochs: int = 50,
) -> Callable[[np.ndarray], np.ndarray]:  # fmt: skip
    """Train ``lever.heads`` heads (seeds seed*10+k); returns features -> mean probabilities."""
    tf = tfenv.import_tensorflow()
    models, columns = [], []
    full = (x, x_val, x_all)
    for k in range(lever.heads):
        s = seed * 10 + k
        cols = (
            np.sort(np.random.default_rng(s).choice(full[0].shape[1], round(lever.subspace * full[0].shape[1]), False))
            if lever.subspace
            else np.arange(full[0].shape[1])
        )
        columns.append(cols)
        x, x_val, x_all = (part[:, cols] for part in full)
        first = _LabTrainer(x, y, n_classes, lever, s)
        xv, yv = tf.constant(x_val, tf.float32), tf.constant(y_val, tf.int32)
        accs = []
        best, best_epoch, waited = -1.0, 0, 0
        for epoch in range(1, epochs + 1):
            first.epoch()
            acc = float(first.accuracy(xv, yv))
            accs.append(acc)
            if epoch < head.MIN_EPOCHS:
                continue
            if acc >= max(accs[head.MIN_EPOCHS - 1 :]):
                best_epoch = epoch
            if acc > best:
                best, waited = acc, 0
            else:
                waited += 1
                if waited >= head.PATIENCE:
                    break
        final = _LabTrainer(x_all, y_all, n_classes, lever, s)
        for _ in range(best_epoch):
            final.epoch()
        models.append(final)

    def predict(features: np.ndarray) -> np.ndarray:
        return np.mean(
            [calibration.softmax(m.logits(features[:, c])) for m, c in zip(models, columns, strict=True)], axis=0
        )

    return predict


class _LabTrainer:
    """Dense(100 relu) + Dense(N, no bias), Adam 0.001, batch 32, class weights; with label
    smoothing (in the cross-entropy's target), mixup (Beta(a, a) pairs within each batch),
    decoupled weight decay (AdamW-style on the kernels) and dropout on the hidden layer."""

    def __init__(self, x: np.ndarray, y: np.ndarray, n_classes: int, lever: Lever, seed: int) -> None:
        tf = tfenv.import_tensorflow()
        keras = tfenv.keras()
        dim = x.shape[1]
        init = keras.initializers.GlorotUniform
        self.w1 = tf.Variable(init(seed=seed * 2)((dim, lever.hidden)))
        self.b1 = tf.Variable(tf.zeros(lever.hidden))
        self.w2 = tf.Variable(init(seed=seed * 2 + 1)((lever.hidden, n_classes)))
        self.opt = keras.optimizers.Adam(head.LEARNING_RATE)
        weights = head.class_weights(y, n_classes)
        cw = tf.constant([weights[c] for c in range(n_classes)], tf.float32)
        self.x, self.y = tf.constant(x, tf.float32), tf.constant(y, tf.int32)
        self.rng = np.random.default_rng(seed)
        self.n = len(x)
        tf_seed = seed
        variables = [self.w1, self.b1, self.w2]
        smoothing, mixup, wd, dropout = lever.smoothing, lever.mixup, lever.weight_decay, lever.dropout

        @tf.function
        def step(xb: Any, yb: Any, lam: Any, perm: Any) -> None:
            target = tf.one_hot(yb, n_classes) * (1 - smoothing) + smoothing / n_classes
            rw = tf.gather(cw, yb)
            if mixup > 0:
                xb = lam * xb + (1 - lam) * tf.gather(xb, perm)
                target = lam * target + (1 - lam) * tf.gather(target, perm)
                rw = lam * rw + (1 - lam) * tf.gather(rw, perm)
            with tf.GradientTape() as tape:
                h = tf.nn.relu(xb @ self.w1 + self.b1)
                if dropout > 0:
                    h = tf.nn.dropout(h, dropout, seed=tf_seed)
                logits = h @ self.w2
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(target, logits) * rw)
            grads = tape.gradient(loss, variables)
            self.opt.apply_gradients(zip(grads, variables, strict=True))
            if wd > 0:
                for v in (self.w1, self.w2):
                    v.assign_sub(head.LEARNING_RATE * wd * v)

        self._step = step
        self.mixup = mixup

    def epoch(self) -> None:
        tf = tfenv.import_tensorflow()
        order = self.rng.permutation(self.n)
        for s in range(0, self.n, head.BATCH_AUGMENTED):
            rows = order[s : s + head.BATCH_AUGMENTED]
            lam = float(self.rng.beta(self.mixup, self.mixup)) if self.mixup > 0 else 1.0
            perm = self.rng.permutation(len(rows)).astype(np.int32)
            self._step(tf.gather(self.x, rows), tf.gather(self.y, rows), tf.constant(lam), tf.constant(perm))

    def logits(self, features: Any) -> np.ndarray:
        h = np.maximum(np.asarray(features) @ self.w1.numpy() + self.b1.numpy(), 0)
        return h @ self.w2.numpy()

    def accuracy(self, x: Any, y: Any) -> Any:
        return np.mean(self.logits(x.numpy()).argmax(1) == y.numpy())


def run_lever(
    lever: Lever, infos: Sequence, labels: list[str], y_all: np.ndarray, plain: np.ndarray, views: np.ndarray,
    columns: dict, split: dataset.Split, seed: int, flipped: np.ndarray | None,
) -> float:  # fmt: skip
    """Held-out accuracy of ``lever`` on ``split``."""
    x_plain = select(plain, columns, lever.parts)
    x_views = select(views, columns, lever.parts)
    if lever.norm == "layer":

        def per_part(t: np.ndarray) -> np.ndarray:
            out = []
            for p in lever.parts:
                v = t[..., columns[p]]
                out.append((v - v.mean(-1, keepdims=True)) / (v.std(-1, keepdims=True) + 1e-3))
            return np.concatenate(out, -1)

        x_plain, x_views = per_part(plain), per_part(views)
    trainable = split.train + split.validation
    if lever.scale == "standard":  # per column, from the training rows (the head's first kernel absorbs it)
        rows = np.concatenate([x_plain[trainable], x_views[trainable].reshape(-1, x_plain.shape[1])])
        mu, sd = rows.mean(0), rows.std(0) + 1e-3
        x_plain, x_views = (x_plain - mu) / sd, (x_views - mu) / sd
    held = split.heldout
    if lever.trainer == "teachkit":
        copies = {i: x_views[i] for i in range(len(infos))}
        fitted = fit(None, infos, x_plain, copies, split, labels, Recipe(augment=True, seed=seed))  # type: ignore[arg-type]
        probs = calibration.softmax(head.logits(fitted.head, x_plain[held]))
    else:

        def rows_of(indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
            xs = np.concatenate([x_plain[indices][:, None], x_views[indices]], axis=1)
            return xs.reshape(-1, xs.shape[-1]), np.repeat(y_all[indices], 1 + x_views.shape[1])

        x, y = rows_of(split.train)
        x_all, y_all_rows = rows_of(trainable)
        predict = lab_head(
            x, y, x_plain[split.validation], y_all[split.validation], x_all, y_all_rows, len(labels), lever, seed
        )
        probs = predict(x_plain[held])
        if lever.flip_tta and flipped is not None:
            probs = (probs + predict(select(flipped, columns, lever.parts)[held])) / 2
    return float((probs.argmax(1) == y_all[held]).mean())


#: The seven depths of train's base (basemodel.DEPTHS), averaged, as the wide table names them.
MID = tuple(f"{name}/avg" for name in basemodel.DEPTHS)

LEVERS = {
    "teachkit": Lever("teachkit"),
    "lab": Lever("lab", trainer="lab"),
    "+b16proj": Lever("+b16proj", ("out_relu/avg", "block_16_project_BN/avg")),
    "+b13exp": Lever("+b13exp", ("out_relu/avg", "block_13_expand_relu/avg")),
    "+b16exp": Lever("+b16exp", ("out_relu/avg", "block_16_expand_relu/avg")),
    "+b13+b6": Lever("+b13+b6", ("out_relu/avg", "block_13_expand_relu/avg", "block_6_expand_relu/avg")),
    "+b16p+b13+b6": Lever(
        "+b16p+b13+b6",
        ("out_relu/avg", "block_16_project_BN/avg", "block_13_expand_relu/avg", "block_6_expand_relu/avg"),
    ),
    "+mid-all": Lever(
        "+mid-all",
        MID,
    ),  # fmt: skip
    "+mid-all-std": Lever(
        "+mid-all-std",
        MID,
        scale="standard",
    ),  # fmt: skip
    "+max": Lever("+max", ("out_relu/avg", "out_relu/max")),
    "+b13+b6max": Lever(
        "+b13+b6max",
        ("out_relu/avg", "block_13_expand_relu/avg", "block_13_expand_relu/max", "block_6_expand_relu/max"),
    ),
}


for _lever in (
    Lever("lab-mid", MID, "standard", "lab"),
    Lever("ls0.1", MID, "standard", "lab", smoothing=0.1),
    Lever("mixup0.4", MID, "standard", "lab", mixup=0.4),
    Lever("wd0.1", MID, "standard", "lab", weight_decay=0.1),
    Lever("wd1", MID, "standard", "lab", weight_decay=1.0),
    Lever("drop0.5", MID, "standard", "lab", dropout=0.5),
    Lever("heads5", MID, "standard", "lab", heads=5),
    Lever("h5x20", MID, "standard", "lab", heads=5, hidden=20),
    Lever("sub5x100", MID, "standard", "lab", heads=5, subspace=0.2),
    Lever("sub5x50", MID, "standard", "lab", heads=5, hidden=50, subspace=0.4),
    Lever("h5x20-layer", MID, "raw", "lab", heads=5, hidden=20, norm="layer"),
    Lever("h1x20", MID, "standard", "lab", hidden=20),
    Lever("heads5-layer", MID, "raw", "lab", heads=5, norm="layer"),
    Lever("lab-heads5", trainer="lab", heads=5),
    Lever("ls0.2", MID, "standard", "lab", smoothing=0.2),
    Lever("ls0.1-layer", MID, "raw", "lab", smoothing=0.1, norm="layer"),
    Lever("ls0.1-rot20", MID, "standard", "lab", smoothing=0.1, aug="rot20"),
    Lever("ls0.1-rot20x12", MID, "standard", "lab", smoothing=0.1, aug="rot20x12"),
    Lever("ls0.1-dihedral", MID, "standard", "lab", smoothing=0.1, aug="dihedral"),
    Lever("ls0.1-strong", MID, "standard", "lab", smoothing=0.1, aug="strong"),
    Lever("tk-rot20", MID, "standard", aug="rot20"),
    Lever("ls0.1-heads3", MID, "standard", "lab", smoothing=0.1, heads=3),
    Lever("tk-dihedral", MID, "standard", aug="dihedral"),
    Lever("tk-strong", MID, "standard", aug="strong"),
    Lever("tk-dihedral-raw", MID, aug="dihedral"),
    Lever("tk-dihedral-layer", MID, norm="layer", aug="dihedral"),
    Lever("tk-dihedral-1280", aug="dihedral"),
    Lever(
        "tk-dih-layer3",
        ("out_relu/avg", "block_13_expand_relu/avg", "block_6_expand_relu/avg"),
        norm="layer",
        aug="dihedral",
    ),
    Lever("tk-dih-layer2", ("out_relu/avg", "block_13_expand_relu/avg"), norm="layer", aug="dihedral"),
    Lever(
        "tk-dih-layer4",
        ("out_relu/avg", "block_16_expand_relu/avg", "block_13_expand_relu/avg", "block_6_expand_relu/avg"),
        norm="layer",
        aug="dihedral",
    ),
):
    LEVERS[_lever.name] = _lever


def main() -> int:
    parser = accuracy_options(__doc__)
    parser.add_argument("--only", nargs="*", default=None, help="levers to run (default: all)")
    parser.add_argument("--splits", default="later,random")
    args = parser.parse_args()

    recipes = _recipes()
    found = photos.scan(args.photos)
    infos, _ = dataset.inspect(found, args.cache / "photos")
    labels = found.labels
    y_all = np.asarray([labels.index(i.label) for i in infos])
    base = basemodel.load(args.base_from)
    plain, views, columns = wide_table(infos, base, args.cache / "levers")
    numbers = [recipes._number(i.path) for i in infos]
    chosen = [LEVERS[n] for n in args.only] if args.only else list(LEVERS.values())
    tm_x = select(plain, columns, ("out_relu/avg",))
    tables = {"v1": views}
    for lever in chosen:
        if lever.aug not in tables:
            tables[lever.aug] = aug_table(infos, base, args.cache / "levers", AUGS[lever.aug])
    scores: dict[str, dict[str, list[float]]] = {}
    for split_name in args.splits.split(","):
        for seed in range(args.seeds):
            split = (
                dataset.split(infos, 0.15, seed)
                if split_name == "random"
                else recipes.later_split(infos, numbers, seed)
            )
            trainable, held = split.train + split.validation, split.heldout
            tm = recipes.teachable_machine(tm_x[trainable], y_all[trainable], len(labels), seed)
            tm_acc = float((np.asarray(tm(tm_x[held])).argmax(1) == y_all[held]).mean())
            scores.setdefault(split_name, {}).setdefault("TM recipe", []).append(tm_acc)
            line = [f"TM {tm_acc:.1%}"]
            for lever in chosen:
                started = time.perf_counter()
                acc = run_lever(lever, infos, labels, y_all, plain, tables[lever.aug], columns, split, seed, None)
                scores[split_name].setdefault(lever.name, []).append(acc)
                line.append(f"{lever.name} {acc:.1%} ({time.perf_counter() - started:.0f}s)")
            print(f"{split_name} seed {seed}: " + "  ".join(line), flush=True)
    for split_name, got in scores.items():
        print(f"\n{split_name} split ({args.seeds} seeds)")
        tm = got["TM recipe"]
        for name, s in got.items():
            sd = statistics.stdev(s) if len(s) > 1 else 0.0
            diffs = [b - a for a, b in zip(tm, s, strict=True)]
            each = " ".join(f"{d * 100:+.1f}" for d in diffs)
            print(
                f"  {name:<16} mean {statistics.mean(s):.1%} sd {sd:.1%} min {min(s):.1%}"
                f"  vs TM {statistics.mean(diffs) * 100:+.1f} ({each})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
