"""The one check of a model's files: model.json, metadata.json and the weights' bytes.

Standard library only and no file reading, so the build (``teachkit.model.files``, which turns
``Invalid`` into its ``ModelError``) and the page's "Open" (Pyodide, ``teach/zips.py``) refuse the
same models with the same sentence. ``validate`` checks structure, types, the input shape, labels
against the last Dense layer's units and each weight file's byte count; ``check_finite`` refuses
NaN or infinite weights.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from array import array
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from teachkit.core.modelinfo import DEFAULT_IMAGE_SIZE

MAX_NAME_BYTES = 255  # the longest file name (one path component) Linux, macOS and Windows allow
#: Bytes per value of the dtypes TF.js writes in a manifest, and of its quantised storage.
DTYPE_BYTES = {"float32": 4, "int32": 4, "bool": 1}
QUANTISED_BYTES = {"uint8": 1, "uint16": 2, "float16": 2}
#: Files of a model folder that are never weights: a manifest naming one is refused.
NOT_WEIGHTS = {"model.json", "metadata.json", "metrics.json", "dataset-report.json"}


class Invalid(ValueError):
    """A model's files that cannot be used; the message is one sentence naming the file."""


def describe_other_export(names: set[str]) -> str | None:
    """What a folder or zip that is not a TF.js image export is, if it is recognisably something."""
    lower = {PurePosixPath(n).name.lower() for n in names}
    if any(n.endswith(".tflite") for n in lower):
        return "a TensorFlow Lite export (Teachable Machine's 'TensorFlow Lite' tab)"
    if any(n.endswith((".h5", ".keras")) for n in lower):
        return "a Keras export (Teachable Machine's 'TensorFlow' tab, Keras)"
    if "saved_model.pb" in lower:
        return "a TensorFlow SavedModel export"
    return None


def _kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(type(value), "something else")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON tree, in document order; a loop, not recursion (deep JSON is hostile)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _input_shape(topology: Any) -> Any:
    """The first batch_input_shape in a Keras topology (nested models included), or None."""
    return next((node["batch_input_shape"] for node in _walk(topology) if "batch_input_shape" in node), None)


def _outputs(topology: Any) -> Any:
    """The units of the last Dense layer: the number of classes (Teachable Machine's and
    Teachkit's heads end with Dense(N, softmax)); None when there is no Dense layer."""
    units = None
    for node in _walk(topology):
        if node.get("class_name") == "Dense" and isinstance(node.get("config"), dict):
            units = node["config"].get("units")
    return units


def _check_weight_name(p: Any, mj: str) -> None:
    """A manifest path must be a plain weight file's name beside model.json (TF.js fetches it as a
    relative URL; the site and the zip reader copy it), never another file of the model."""
    if not isinstance(p, str):
        raise Invalid(f"{mj} names a weight file that is not a file name ({_kind(p)}: {p!r}).")
    if "/" in p or "\\" in p or ".." in p or "\0" in p or ":" in p:
        raise Invalid(f"{mj} names the weight file {p!r}, which is a path; weight files lie beside model.json.")
    if p in NOT_WEIGHTS or not p.lower().endswith(".bin") or len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise Invalid(f"{mj} names {p!r} as a weight file; weight files are the .bin files beside model.json.")


def _manifest(manifest: Any, mj: str) -> list[tuple[list[str], list[dict[str, Any]], int]]:
    """Each weight group: its files, its tensors and the bytes they take."""
    if not isinstance(manifest, list) or not manifest:
        raise Invalid(f"{mj} is damaged: its weightsManifest is {_kind(manifest)}, not a list of weight groups.")
    groups = []
    seen: set[str] = set()
    for group in manifest:
        if not isinstance(group, dict):
            raise Invalid(f"{mj} is damaged: a weight group in its weightsManifest is {_kind(group)}.")
        paths, entries = group.get("paths"), group.get("weights")
        if not isinstance(paths, list) or not paths:
            raise Invalid(f"{mj} is damaged: a weight group's paths are {_kind(paths)}, not a list of files.")
        for p in paths:
            _check_weight_name(p, mj)
            if p in seen:
                raise Invalid(f"{mj} names the weight file {p!r} twice; it is damaged.")
            seen.add(p)
        if not isinstance(entries, list):
            raise Invalid(f"{mj} is damaged: a weight group's weights are {_kind(entries)}, not a list.")
        size = 0
        for e in entries:
            size += _entry_bytes(e, mj)
        groups.append((paths, entries, size))
    return groups


def _entry_bytes(e: Any, mj: str) -> int:
    """The bytes one tensor of the manifest takes in its weight file."""
    if not isinstance(e, dict) or not isinstance(e.get("name"), str):
        raise Invalid(f"{mj} is damaged: a weight in its weightsManifest has no name.")
    shape, dtype, quant = e.get("shape"), e.get("dtype"), e.get("quantization")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise Invalid(f"{mj} is damaged: the shape of the weight {e['name']!r} is not a list of sizes.")
    if dtype not in DTYPE_BYTES:
        raise Invalid(f"{mj}: the weight {e['name']!r} has the type {dtype!r}, which Teachkit does not read.")
    width = DTYPE_BYTES[dtype]
    if quant is not None:
        if not isinstance(quant, dict) or quant.get("dtype") not in QUANTISED_BYTES:
            raise Invalid(f"{mj}: the weight {e['name']!r} is quantised in a way Teachkit does not read.")
        width = QUANTISED_BYTES[quant["dtype"]]
    return math.prod(shape) * width


def _check_metadata(md: dict[str, Any], where: str) -> None:
    """The types metadata.json must have: what the build, the page and "not sure" read."""
    mdn = f"{where}/metadata.json"
    if "wordLabels" in md or "modelSettings" in md and "posenet" in json.dumps(md["modelSettings"]):
        kind = "an audio model" if "wordLabels" in md else "a pose model"
        raise Invalid(f"{where} is {kind} from Teachable Machine; Teachkit works with image models.")
    labels = md.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise Invalid(f"{mdn} has no list of class labels (its labels are {_kind(labels)}).")
    size = md.get("imageSize", DEFAULT_IMAGE_SIZE)
    if not _is_number(size) or size != DEFAULT_IMAGE_SIZE:
        raise Invalid(
            f"{mdn} says its pictures are {size!r} pixels wide (imageSize); Teachkit's image models take "
            f"{DEFAULT_IMAGE_SIZE}x{DEFAULT_IMAGE_SIZE} pictures."
        )
    user = md.get("userMetadata")
    if user is None:
        return
    if not isinstance(user, dict):
        raise Invalid(f"{mdn} is damaged: its userMetadata is {_kind(user)}, not an object.")
    if "mirror" in user and not isinstance(user["mirror"], bool):
        raise Invalid(f"{mdn} is damaged: userMetadata.mirror is {_kind(user['mirror'])}, not true or false.")
    rule = user.get("notSure")
    if rule is None:
        return
    if not isinstance(rule, dict):
        raise Invalid(f"{mdn} is damaged: its 'not sure' rule (userMetadata.notSure) is {_kind(rule)}.")
    for key in ("threshold", "margin"):
        if key in rule and not (_is_number(rule[key]) and 0 <= rule[key] <= 1):
            raise Invalid(f"{mdn} is damaged: the 'not sure' {key} is {rule[key]!r}; it must be a number from 0 to 1.")


def validate(
    model_json: Any, metadata: Any, weight_sizes: dict[str, int] | None = None, where: str = "The model"
) -> list[str]:
    """Check a model's parsed model.json and metadata.json (and, given ``weight_sizes``, the byte
    count of each weight file); return the weight files' names. Raises ``Invalid`` with a
    sentence naming the file. ``where`` names the model folder (or zip) in those sentences."""
    mj, mdn = f"{where}/model.json", f"{where}/metadata.json"
    if not isinstance(metadata, dict):
        raise Invalid(f"{mdn} holds {_kind(metadata)}, not the object a model's metadata is (labels, image size).")
    _check_metadata(metadata, where)
    if not isinstance(model_json, dict) or not isinstance(model_json.get("modelTopology"), dict):
        what = _kind(model_json) if not isinstance(model_json, dict) else "an object without a modelTopology"
        raise Invalid(f"{mj} holds {what}, not a TF.js layers model.")
    topology = model_json["modelTopology"]
    groups = _manifest(model_json.get("weightsManifest"), mj)

    shape = _input_shape(topology)
    if shape is None:
        raise Invalid(f"{mj} does not take images as input (it has no input shape).")
    if not isinstance(shape, list) or len(shape) != 4 or not all(d is None or isinstance(d, int) for d in shape):
        raise Invalid(f"{mj} is damaged: its input shape is {shape!r}, not [batch, height, width, channels].")
    if shape[1:] != [DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE, 3]:
        h, w, c = shape[1:]
        colour = "greyscale" if c == 1 else f"{c}-channel"
        raise Invalid(
            f"{where} is a {w}x{h} {colour} model (Teachable Machine's 'tiny' image model, made for "
            "microcontrollers). Teachkit runs the standard image model: in Teachable Machine, choose "
            "'Standard image model' and export it for TensorFlow.js."
        )

    units = _outputs(topology)
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        raise Invalid(f"{mj} has no Dense output layer with a number of classes: it is not an image classifier.")
    labels = metadata["labels"]
    if len(labels) != units:
        raise Invalid(
            f"{mdn} names {len(labels)} classes ({', '.join(labels)[:200]}), but the model in model.json "
            f"has {units} outputs; the two files come from different models."
        )

    if weight_sizes is not None:
        for paths, _entries, expected in groups:
            got = sum(weight_sizes[p] for p in paths)
            if got != expected:
                files = " and ".join(f"{where}/{p}" for p in paths)
                state = "is empty" if got == 0 else f"holds {got} bytes"
                raise Invalid(
                    f"{files} {state}, but model.json's weights need {expected} bytes: "
                    "the file is truncated or belongs to another model."
                )
    return [p for paths, _, _ in groups for p in paths]


def check_finite(model_json: dict[str, Any], weights: dict[str, bytes], where: str = "The model") -> None:
    """Refuse weights holding NaN or infinity (every answer would be NaN). Call after ``validate``
    with the sizes of ``weights``. Pure Python: summing an array('f') is NaN or infinite exactly
    when a value is (float32 values cannot overflow a double sum); about 3 ms for the 2.2 MB
    weights.bin of a Teachable Machine export (measured here), against 25 ms testing each value."""
    for group in model_json["weightsManifest"]:
        data = b"".join(weights[p] for p in group["paths"])
        offset = 0
        for e in group["weights"]:
            quant = e.get("quantization")
            width = QUANTISED_BYTES[quant["dtype"]] if quant else DTYPE_BYTES[e["dtype"]]
            end = offset + math.prod(e["shape"]) * width
            floats = quant["dtype"] == "float16" if quant else e["dtype"] == "float32"
            code = ("e" if quant else "f") if floats else ""
            if code and not _finite(data[offset:end], code):
                files = " and ".join(f"{where}/{p}" for p in group["paths"])
                raise Invalid(
                    f"{files} holds NaN or infinite numbers (in the weight {e['name']!r}): the model is damaged "
                    "and would answer nothing but NaN."
                )
            offset = end


def _finite(data: bytes, code: str) -> bool:
    """Whether little-endian float32 ('f') or float16 ('e') values are all finite."""
    if code == "e":  # rare (quantised models): array has no float16, struct does
        return all(math.isfinite(v) for (v,) in struct.iter_unpack("<e", data))
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return math.isfinite(sum(values))
