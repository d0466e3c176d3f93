"""Where near copies end: the cosine of embeddings that teachkit.core.recipe.BURST_SIMILARITY uses.

    python bench/bursts.py [PHOTOS] [--photos 120]

On real photos (trashnet-subset by default), embedded by the build's base (the seven depths;
``--one-depth``: Teachable Machine's cut):
- near copies: each of ``--photos`` photos changed as the next webcam frame or a re-shot would
  change it (cropped by 2-6%, shifted by 3-8%, re-lit by up to 15%, rotated by up to 5 degrees,
  re-encoded at JPEG quality 60, and all of crop, light and rotation at once), each copy's cosine
  to its photo;
- distinct photos: every pair of photos of the same class;
then, for thresholds around the chosen one, the share of near copies it keeps with their photo
and the number of distinct same-class pairs it joins, the closest of those pairs by name (look at
them: in trashnet-subset they are the same object photographed again), and what the perceptual
hash (teachkit.data.similarity, the dataset report's) groups.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from common import BASE_EXPORT, ROOT, TRASHNET
from PIL import Image, ImageEnhance

from teachkit.core import recipe
from teachkit.data import dataset, images, photos, similarity
from teachkit.features import basemodel, embeddings

KINDS = ("crop", "shift", "light", "rotate", "jpeg", "all")


def changed(img: Image.Image, kind: str, rng: random.Random) -> Image.Image:
    w, h = img.size
    if kind == "crop":
        f = rng.uniform(0.02, 0.06)
        dx, dy = int(w * f * rng.random()), int(h * f * rng.random())
        return img.crop((dx, dy, w - int(w * f) + dx, h - int(h * f) + dy))
    if kind == "shift":
        d = int(w * rng.uniform(0.03, 0.08))
        return img.crop((d, 0, w, h)) if rng.random() < 0.5 else img.crop((0, 0, w - d, h))
    if kind == "light":
        return ImageEnhance.Brightness(img).enhance(rng.uniform(0.85, 1.15))
    if kind == "rotate":
        return img.rotate(rng.uniform(-5, 5), resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255))
    if kind == "jpeg":
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return changed(changed(changed(img, "crop", rng), "light", rng), "rotate", rng)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", type=Path, nargs="?", default=TRASHNET)
    parser.add_argument("--photos", dest="n", type=int, default=120)
    parser.add_argument("--cache", type=Path, default=ROOT / "models" / ".cache")
    parser.add_argument("--one-depth", action="store_true", help="Teachable Machine's cut of the base, not train's")
    args = parser.parse_args()
    found = photos.scan(args.photos)
    infos, _ = dataset.inspect(found, args.cache / "photos")
    base = basemodel.load(BASE_EXPORT, depths=None if args.one_depth else basemodel.DEPTHS)
    features, _, _ = embeddings.embed(infos, embeddings.EmbeddingCache(args.cache / "embeddings", base), set())
    units = features / np.linalg.norm(features, axis=1, keepdims=True)
    labels = [i.label for i in infos]

    pairs = []
    for label in found.labels:
        members = [k for k, x in enumerate(labels) if x == label]
        sims = units[members] @ units[members].T
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                pairs.append((float(sims[a, b]), members[a], members[b]))
    distinct = np.asarray([p[0] for p in pairs])
    q = np.quantile(distinct, [0.5, 0.9, 0.99, 0.999])
    print(f"{len(infos)} photos; {len(pairs)} distinct same-class pairs: median {q[0]:.3f}, 90% {q[1]:.3f}, "
          f"99% {q[2]:.3f}, 99.9% {q[3]:.3f}, max {distinct.max():.3f}")  # fmt: skip

    rng = random.Random(0)
    picked = rng.sample(range(len(infos)), min(args.n, len(infos)))
    inputs, owners, kinds = [], [], []
    for i in picked:
        img = photos.decode(infos[i].path)
        for kind in KINDS:
            inputs.append(images.to_input(changed(img, kind, rng)))
            owners.append(i)
            kinds.append(kind)
    copies = embeddings.embed_inputs(base, np.stack(inputs))
    copies = copies / np.linalg.norm(copies, axis=1, keepdims=True)
    near = np.asarray([float(copies[k] @ units[o]) for k, o in enumerate(owners)])
    for kind in KINDS:
        v = near[[k for k, x in enumerate(kinds) if x == kind]]
        print(f"near copies, {kind:6}: min {v.min():.3f}, 1% {np.quantile(v, 0.01):.3f}, median {np.median(v):.3f}")
    for t in (0.85, 0.88, 0.9, 0.92, 0.94, 0.96):
        mark = "  <- recipe.BURST_SIMILARITY" if t == recipe.BURST_SIMILARITY else ""
        print(
            f"threshold {t:.2f}: keeps {np.mean(near >= t):.1%} of near copies with their photo, "
            f"joins {int(np.sum(distinct >= t))} distinct same-class pairs{mark}"
        )
    print("closest distinct same-class pairs (cosine, photos):")
    for s, a, b in sorted(pairs, reverse=True)[:20]:
        print(f"  {s:.3f}  {infos[a].path.name}  {infos[b].path.name}")
    groups = similarity.groups([i.dhash for i in infos], [i.thumb for i in infos])
    print("the perceptual hash's groups of more than one photo (and their cosines):")
    for g, n in Counter(groups).items():
        if n > 1:
            members = [k for k, x in enumerate(groups) if x == g]
            cos = [f"{float(units[a] @ units[b]):.2f}" for a in members for b in members if a < b]
            print(f"  {', '.join(infos[k].path.name for k in members)}: {', '.join(cos)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
