"""What a model's ``metadata.json`` says, with Teachable Machine's defaults in one place.

Read once, the same way by the build (``teachkit.model``), by ``evaluate`` and by the page
(Pyodide runs this file unchanged): the labels, the picture size, whether it was trained on
mirrored webcam frames, and its "not sure" rule. Older Teachable Machine formats leave fields out
(tmVersion 1.x and 2.1.x have no ``imageSize``: 224 is meant). The metadata is expected to have
passed ``teachkit.model.files.validate``; this only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teachkit.core import preprocess
from teachkit.core.decide import Rule

#: The "none of these" summary's file in a model folder, named by ``userMetadata.outliers``.
OUTLIERS_FILE = "outliers.json"

#: Teachable Machine's picture size when metadata.json does not say (its library assumes it too).
DEFAULT_IMAGE_SIZE = preprocess.SIZE


@dataclass(frozen=True)
class ModelInfo:
    """A model's labels, picture size, mirroring and "not sure" rule."""

    labels: tuple[str, ...]
    image_size: int = DEFAULT_IMAGE_SIZE
    #: Trained on mirrored webcam frames: the webcam's frames are mirrored for it too.
    mirror: bool = False
    rule: Rule = field(default_factory=Rule)
    name: str = ""
    #: Trained by Teachkit (``packageName``), so it carries a tuned rule and a model card.
    is_teachkit: bool = False
    #: The "none of these" summary's file (``userMetadata.outliers``), or None: no such verdict.
    outliers: str | None = None
    #: The teacher's "not sure" mode (``userMetadata.notSure.mode``), when the build recorded it.
    not_sure_mode: str | None = None

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], fallback_name: str = "") -> ModelInfo:
        user = metadata.get("userMetadata")
        user = user if isinstance(user, dict) else {}
        return cls(
            labels=tuple(metadata["labels"]),
            image_size=int(metadata.get("imageSize") or DEFAULT_IMAGE_SIZE),
            mirror=bool(user.get("mirror", False)),
            rule=Rule.from_metadata(metadata),
            name=str(metadata.get("modelName") or fallback_name),
            is_teachkit=metadata.get("packageName") == "teachkit",
            outliers=OUTLIERS_FILE if user.get("outliers") == OUTLIERS_FILE else None,
            not_sure_mode=_mode(user.get("notSure")),
        )


def _mode(rule: Any) -> str | None:
    mode = rule.get("mode") if isinstance(rule, dict) else None
    return mode if isinstance(mode, str) else None


def normalised(metadata: dict[str, Any]) -> dict[str, Any]:
    """metadata.json with what older formats leave out filled in (what a site ships)."""
    meta = dict(metadata)
    meta["imageSize"] = int(meta.get("imageSize") or DEFAULT_IMAGE_SIZE)
    if not isinstance(meta.get("userMetadata"), dict):
        meta["userMetadata"] = {}
    return meta
