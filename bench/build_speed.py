"""Part 1: the build on trashnet-subset: decoding and embedding throughput, `train` cold, warm and
incremental (5 new photos), and TensorFlow's import time apart.

    python bench/build_speed.py [--quick]

The trains use a temporary models dir (the caches live in <models-dir>/.cache/), a temporary copy
of the photos, and the base from ../shared/fixtures/tm-exports/animals-4class, as the CLI would:
Teachkit's default recipe (augmentation on, 50 epochs).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BASE_EXPORT, ROOT, TRASHNET, Results

os.environ.setdefault("TEACHKIT_QUIET", "1")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

IMPORT_SNIPPET = """
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from teachkit import tfenv
tfenv.import_tensorflow()
t1 = time.perf_counter()
import tensorflowjs
t2 = time.perf_counter()
print(json.dumps({{"tensorflow": t1 - t0, "tensorflowjs": t2 - t1}}))
"""


def import_times(res: Results, runs: int) -> None:
    """TensorFlow's (and tensorflowjs's) import in a fresh interpreter: paid once per build."""
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_SNIPPET.format(root=str(ROOT))],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        t = json.loads(out.stdout.strip().splitlines()[-1])
        res.add("build.import.tensorflow", "s", t["tensorflow"], note="import_tensorflow(), fresh process")
        res.add("build.import.tensorflowjs", "s", t["tensorflowjs"], note="after TensorFlow")


def all_photos() -> list[Path]:
    return sorted(p for p in TRASHNET.rglob("*") if p.is_file() and p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def decode_throughput(res: Results, runs: int, n: int) -> None:
    from teachkit.data import images, photos

    paths = all_photos()
    for r in range(runs):
        chunk = [paths[(r * n + i) % len(paths)] for i in range(n)]
        ways = (
            ("build.decode", photos.decode, "photos.decode (JPEG 512x384 -> RGB)"),
            (
                "build.decode+preprocess",
                lambda p: images.to_input(photos.decode(p)),
                "decode + crop/resize/normalise (NumPy)",
            ),
        )
        for key, work, note in ways:
            t = time.perf_counter()
            for p in chunk:
                work(p)
            res.add(key, "photos/s", n / (time.perf_counter() - t), lower_is_better=False, note=note)


def embedding_throughput(res: Results, runs: int, n: int) -> None:
    """The base's forward pass as `train` runs it (TensorFlow Lite), beside TensorFlow's own graph."""
    import numpy as np

    from teachkit.data import images, photos
    from teachkit.features import augment, basemodel, embeddings

    base = basemodel.load(BASE_EXPORT)
    with tempfile.TemporaryDirectory(prefix="teachkit-bench-lite-") as tmp:
        fast = embeddings.EmbeddingCache(Path(tmp), base).embedder()  # converts the base once
    paths = all_photos()[:n]
    inputs = np.stack([images.to_input(photos.decode(p)) for p in paths])
    ways = {
        "build.embed": (fast, "TensorFlow Lite (XNNPACK, 1 thread), as train embeds"),
        "build.embed.tensorflow": (lambda x: embeddings.embed_inputs(base, x), "TensorFlow's graph (baseline)"),
    }
    for run, _ in ways.values():
        run(inputs[: embeddings.BATCH])  # trace / allocate once
    for _ in range(runs):
        for key, (run, note) in ways.items():
            t, cpu = time.perf_counter(), time.process_time()
            run(inputs)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            res.add(key, "photos/s", n / wall, lower_is_better=False, note=f"MobileNetV2 a0.35 forward, {note}")
            res.add(f"{key}.cpu", "cpu-ms/photo", 1000 * cpu / n, note="CPU time per photo, all threads")
    res.ratio("embedding lite/tensorflow", "build.embed", "build.embed.tensorflow")
    # What `train` pays per new photo with the default recipe: 1 + COPIES embeddings and the views.
    m = max(8, n // (1 + augment.COPIES))
    for _ in range(runs):
        t = time.perf_counter()
        rows = [np.concatenate([x[None], augment.views(x, str(i))]) for i, x in enumerate(inputs[:m])]
        fast(np.concatenate(rows))
        res.add(
            "build.embed.augmented",
            "photos/s",
            m / (time.perf_counter() - t),
            lower_is_better=False,
            note=f"per photo with its {augment.COPIES} augmented views (the train recipe, one thread)",
        )


#: The pipeline's steps, timed by wrapping them (the profile of every train run, without py-spy).
STAGES = {
    "scan+inspect": ("teachkit.data.dataset", "inspect"),
    "report": ("teachkit.data.report", "check"),
    "split": ("teachkit.data.dataset", "split"),
    "base model": ("teachkit.features.basemodel", "load"),
    "embed": ("teachkit.features.embeddings", "embed"),
    "fit head": ("teachkit.training.train", "fit"),
    "export": ("teachkit.model.export", "layers_model"),
    "write": ("teachkit.model.export", "write_model"),
}


class StageTimer:
    """Wraps the pipeline's step functions and sums the seconds spent in each."""

    def __init__(self) -> None:
        import importlib

        self.seconds: dict[str, float] = {}
        self._saved = []
        for stage, (mod_name, attr) in STAGES.items():
            mod = importlib.import_module(mod_name)
            fn = getattr(mod, attr)
            self._saved.append((mod, attr, fn))
            setattr(mod, attr, self._wrap(stage, fn))

    def _wrap(self, stage: str, fn):  # type: ignore[no-untyped-def]
        def timed(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t

        return timed

    def restore(self) -> None:
        for mod, attr, fn in self._saved:
            setattr(mod, attr, fn)


def _train(photos_dir: Path, models_dir: Path, res: Results, kind: str) -> float:
    from teachkit.training.train import TrainOptions, train

    opts = TrainOptions(
        photos=photos_dir, models_dir=models_dir, base_from=BASE_EXPORT, name="bench", out=io.StringIO()
    )
    timer = StageTimer()
    t, cpu = time.perf_counter(), time.process_time()
    try:
        train(opts)
    finally:
        timer.restore()
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    res.add(f"build.train.{kind}.cpu", "cpu-s", cpu, note="CPU seconds, all threads (load-independent-ish)")
    res.info.setdefault(f"build.train.{kind}.stages_s", []).append({k: round(v, 2) for k, v in timer.seconds.items()})
    return wall


def _new_photos(photos_dir: Path, run: int, k: int = 5) -> list[Path]:
    """k photos no cache has seen: existing ones mirrored and re-encoded (new bytes, new digest)."""
    from PIL import Image, ImageOps

    classes = sorted(p for p in photos_dir.iterdir() if p.is_dir())
    made = []
    for i in range(k):
        cls = classes[(run * k + i) % len(classes)]
        src = sorted(cls.glob("*.jpg"))[(run * 7 + i * 13) % 50]
        with Image.open(src) as img:
            out = ImageOps.mirror(img.convert("RGB"))
            target = cls / f"bench-new-{run}-{i}.jpg"
            out.save(target, quality=90 - run % 5)
        made.append(target)
    return made


def train_times(res: Results, cold_runs: int, warm_runs: int, incremental_runs: int) -> None:
    from teachkit import tfenv

    tfenv.import_tensorflow()
    import tensorflowjs  # noqa: F401  (import time is reported apart)

    with tempfile.TemporaryDirectory(prefix="teachkit-bench-") as tmp:
        tmp_path = Path(tmp)
        photos_dir = tmp_path / "trashnet-subset"
        shutil.copytree(TRASHNET, photos_dir)
        n = len(all_photos())
        models = tmp_path / "models"
        for _ in range(cold_runs):
            shutil.rmtree(models, ignore_errors=True)
            res.add("build.train.cold", "s", _train(photos_dir, models, res, "cold"), note=f"{n} photos, empty cache")
        if not models.exists():
            _train(photos_dir, models, Results(), "cold")
        for _ in range(warm_runs):
            res.add("build.train.warm", "s", _train(photos_dir, models, res, "warm"), note="cache full, retrain only")
        for run in range(incremental_runs):
            made = _new_photos(photos_dir, run)
            try:
                res.add(
                    "build.train.incremental", "s", _train(photos_dir, models, res, "incremental"), note="5 new photos"
                )
            finally:
                for p in made:
                    p.unlink()


def run(res: Results, quick: bool) -> None:
    runs = 3 if quick else 5
    import_times(res, 1 if quick else 5)
    decode_throughput(res, runs, 60 if quick else 150)
    embedding_throughput(res, runs, 128 if quick else 256)
    train_times(res, 1 if quick else 5, 2 if quick else 5, 2 if quick else 5)


def targets(res: Results) -> None:
    res.target("Build: embedding >= 150 photos/s", res.median("build.embed"), 150, "photos/s", at_most=False)
    res.target("Build: train cold <= 60 s (import excluded)", res.median("build.train.cold"), 60, "s")
    res.target("Build: train warm <= 5 s", res.median("build.train.warm"), 5, "s")
    res.target("Build: train with 5 new photos <= 10 s", res.median("build.train.incremental"), 10, "s")


if __name__ == "__main__":
    from common import table

    r = Results()
    run(r, "--quick" in sys.argv)
    targets(r)
    print(table(r))
