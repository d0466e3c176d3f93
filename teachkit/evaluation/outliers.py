""" "None of these" for a model that came without it: a Teachable Machine export has no training
photos, so the teacher gives Teachkit photos of its classes (`teachkit site EXPORT --photos DIR`).

They are embedded with the export's own frozen base (the features model the page runs), split
as a build splits (a validation part of each class, seeded), and summarised by
``teachkit.core.outlier.fit``: prototypes of the training part, the threshold on the validation
part. The summary joins the model's files (outliers.json, named in ``userMetadata.outliers``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import numpy as np

from teachkit.core import modelinfo, outlier
from teachkit.data import dataset, photos
from teachkit.evaluation.evaluate import match_labels
from teachkit.features import basemodel, embeddings
from teachkit.model.files import ModelFiles
from teachkit.paths import user_cache

SEED = 0


def fit_from_photos(files: ModelFiles, photos_dir: Path, cache: Path | None = None) -> tuple[ModelFiles, str]:
    """``files`` with a "none of these" summary fitted on ``photos_dir`` (one folder per class,
    named like the model's classes), and a sentence saying what was fitted on what."""
    cache = cache or user_cache()
    found = photos.scan(photos_dir)
    matched, unmatched = match_labels(list(found.classes), files.labels)
    if not matched:
        raise photos.PhotoError(
            f"None of the folders in {photos_dir} is one of the model's classes ({', '.join(files.labels)}), so "
            "'none of these' cannot be fitted. Name each folder exactly like the class its photos show."
        )
    chosen = photos.PhotoFolder(found.root, {folder: found.classes[folder] for folder in matched})
    infos, _ = dataset.inspect(chosen, cache / "photos")
    split = dataset.split(infos, 0.15, SEED, with_heldout=False)
    base = basemodel.load(files.dir, as_exported=True)  # what its page embeds with
    features, _, _ = embeddings.embed(infos, embeddings.EmbeddingCache(cache / "embeddings", base))
    classes = [files.labels.index(matched[info.label]) for info in infos]
    rows = np.asarray(features, np.float64)
    summary = outlier.fit(
        [rows[i].tolist() for i in split.train],
        [classes[i] for i in split.train],
        [rows[i].tolist() for i in split.validation],
        files.labels,
        backend=dataset.NumpyRows,
    )
    meta = copy.deepcopy(files.metadata)
    meta["userMetadata"]["outliers"] = modelinfo.OUTLIERS_FILE
    data = json.dumps(summary, ensure_ascii=False).encode("utf-8")
    fitted = dataclasses.replace(files, metadata=meta, files={**files.files, modelinfo.OUTLIERS_FILE: data})
    missing = [label for label in files.labels if label not in matched.values()]
    said = (
        f"'None of these' fitted on {len(split.train)} of your photos, its threshold on {len(split.validation)} "
        f"more ({summary['validation']['turned_away']:.0%} of those turned away)."
    )
    if missing:
        said += f" No photos of {', '.join(missing)}: photos of those will often be called 'none of these'."
    if unmatched:
        said += f" Left out: {', '.join(unmatched)} (no class of that name)."
    return fitted, said
