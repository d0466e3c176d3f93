"""The dataset report: what is wrong with the photos, told before any training.

Every finding has a severity (error stops the build; warning stops it with --strict; info is
advice), an explanation a teacher understands, and the files it concerns. The variety checks
say what they measured, with numbers, so a teacher can judge them.
"""

from __future__ import annotations

import statistics
import sys
import textwrap
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from teachkit import fileio
from teachkit.core import preprocess
from teachkit.data import dataset, photos, similarity
from teachkit.errors import PhotoError, printable

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

MIN_PHOTOS_ERROR = 5  # fewer usable photos in a class: the build cannot measure anything
MIN_PHOTOS_WARNING = 20  # fewer: the model will be fragile and its score meaningless
ADVICE_RANGE = (50, 200)
IMBALANCE_RATIO = 2.0  # largest class over smallest class
SMALL_SIDE = preprocess.SIZE  # a photo whose short side is under this is blown up
HARD_CROP_RATIO = 2.0  # long side over short side: the centre crop drops half the photo or more

#: One lighting: both the spread (standard deviation over a class's photos) of the photos'
#: brightness (mean luma, 0-1) and of their colour cast (log of mean red over mean blue) are
#: under these. On the real fixtures (trashnet: 6 classes of iPhone photos under changing
#: light; 3 Teachable Machine sample sets) the narrowest class measures 0.047 and 0.069.
LIGHT_BRIGHTNESS_SPREAD = 0.04
LIGHT_WARMTH_SPREAD = 0.06

#: One background: the photos' borders (the outer eighth of each side, after trimming plain
#: letterbox bars) have the same colours. Two measures, both the median distance (mean absolute
#: difference, 8 numbers per photo) of each photo's border from the class's typical border:
#: - ``background_spread``: on the border colours' chromaticity (red and green shares of
#:   r+g+b), which ignores how bright the light was (phones expose each photo differently);
#: - ``background_spread_balanced``: the same after dividing each photo's colours by its mean
#:   colour ("grey world" white balance), which also ignores the colour of the light.
#: A class is flagged when both are low: the balanced one alone would take plain sheets of
#: different colours for one background, the plain one alone misses one background under
#: warm and cold light. Tuned on the real fixtures: trashnet-subset (all on one white
#: posterboard, under changing light) measures 0.004-0.016 and 0.0036-0.0078; the Teachable
#: Machine sample sets (web photos; phone photos indoors and out) 0.014-0.044 and 0.0102-0.026
#: (the closest: elephants, all on savannah, 0.015 and 0.0102). Every trashnet class is flagged
#: (true), no sample set.
BACKGROUND_SPREAD = 0.018
BACKGROUND_SPREAD_BALANCED = 0.009

MAX_FILES_SHOWN = 6  # per finding, in the terminal (the JSON has them all)


@dataclass
class Finding:
    """One thing the report found."""

    severity: str
    code: str  # a stable name for programs: too_few, imbalance, unreadable, ...
    title: str  # one line
    explanation: str  # what it means for the model and what to do, in plain words
    files: list[Path] = field(default_factory=list)
    label: str | None = None  # the class it is about, when it is about one
    groups: list[list[Path]] = field(default_factory=list)  # duplicates: the files that belong together
    labels: list[str] = field(default_factory=list)  # the classes it is about, when about several

    def to_json(self, root: Path) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "title": self.title,
            "explanation": self.explanation,
            "label": self.label,
            "labels": self.labels or ([self.label] if self.label else []),
            "files": [_rel(p, root) for p in self.files],
            "groups": [[_rel(p, root) for p in g] for g in self.groups],
        }


@dataclass
class Report:
    """The findings on one folder of photos, and the per-class numbers they come from."""

    root: Path
    classes: dict[str, dict] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def codes(self, severity: str | None = None) -> set[str]:
        return {f.code for f in self.findings if severity is None or f.severity == severity}

    def to_json(self) -> dict:
        return {
            "root": photos.shown(self.root),
            "classes": self.classes,
            "counts": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "info": len(self.findings) - len(self.errors) - len(self.warnings),
            },
            "findings": [f.to_json(self.root) for f in self.findings],
            "measured": MEASURED,
        }

    def write_json(self, path: Path) -> None:
        """Atomically: an interrupted run leaves the previous report, never half of one."""
        fileio.write_json(path, self.to_json())

    def print(self, stream: TextIO | None = None) -> None:
        """A readable terminal table: the classes, then the findings, worst first.

        Everything goes through ``printable``: a file or folder name may hold terminal escape
        codes (one that clears the screen, say), and they must be shown, not obeyed."""
        out = _Printable(stream or sys.stdout)
        w = max([len("class")] + [len(printable(label)) for label in self.classes])
        out.write(f"\nDataset report for {self.root}\n\n")
        out.write(
            f"  {'class':<{w}}  {'photos':>6}  {'unusable':>8}  {'brightness':>10}  {'colour':>6}  "
            f"{'background':>10}  {'(balanced)':>10}\n"
        )
        for label, c in self.classes.items():
            out.write(
                f"  {printable(label):<{w}}  {c['usable']:>6}  {c['unreadable']:>8}  "
                f"{_spread(c.get('brightness_spread')):>10}  {_spread(c.get('warmth_spread')):>6}  "
                f"{_spread(c.get('background_spread')):>10}  {_spread(c.get('background_spread_balanced'), 4):>10}\n"
            )
        total = sum(c["usable"] for c in self.classes.values())
        bad = sum(c["unreadable"] for c in self.classes.values())
        out.write(f"  {'all':<{w}}  {total:>6}  {bad:>8}\n")
        out.write(
            "  (the last columns: how much the photos of a class vary in brightness, in the colour of the light, "
            "and in background, also with the light's colour evened out)\n\n"
        )
        low, high = ADVICE_RANGE
        if any(c["usable"] < low for c in self.classes.values()):
            out.write(f"  Advice: {low} to {high} photos per class give a steadier model and a score to trust.\n\n")
        if not self.findings:
            out.write("  No problems found.\n")
        mark = {ERROR: "ERROR  ", WARNING: "WARNING", INFO: "info   "}
        for f in sorted(self.findings, key=lambda f: SEVERITIES.index(f.severity)):
            out.write(f"  {mark[f.severity]}  {f.title}\n")
            out.write(_indent(f.explanation, 11))
            shown = f.groups or [[p] for p in f.files]
            for group in shown[:MAX_FILES_SHOWN]:
                out.write(" " * 11 + "- " + "  =  ".join(_rel(p, self.root) for p in group) + "\n")
            if len(shown) > MAX_FILES_SHOWN:
                out.write(" " * 11 + f"... and {len(shown) - MAX_FILES_SHOWN} more (all are in the JSON report)\n")
            out.write("\n")
        out.write(f"  {len(self.errors)} error(s), {len(self.warnings)} warning(s).\n")


class _Printable:
    """A stream whose writes are made terminal-safe (``printable``) on the way out."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(printable(text))


MEASURED = {
    "brightness_spread": "standard deviation, over the photos of a class, of each photo's mean brightness (0 to 1)",
    "warmth_spread": "standard deviation, over the photos of a class, of each photo's colour cast "
    "(log of mean red over mean blue: warm light is high, cold light low)",
    "background_spread": "median difference between the colours (brightness left out) of each photo's border "
    "(the outer eighth of each side, letterbox bars trimmed) and the class's typical border",
    "background_spread_balanced": "the same after evening out the colour of the light (each photo's colours "
    "divided by its mean colour)",
    "thresholds": {
        "one_lighting": {"brightness_spread": LIGHT_BRIGHTNESS_SPREAD, "warmth_spread": LIGHT_WARMTH_SPREAD},
        "one_background": {
            "background_spread": BACKGROUND_SPREAD,
            "background_spread_balanced": BACKGROUND_SPREAD_BALANCED,
        },
    },
}


def _rel(path: Path, root: Path) -> str:
    """The path under ``root``, as valid text (a name that is not gets replacement characters)."""
    try:
        return photos.shown(Path(path).relative_to(root).as_posix())
    except ValueError:
        return photos.shown(path)


def _spread(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _indent(text: str, n: int, width: int = 100) -> str:
    return "".join(" " * n + line + "\n" for line in textwrap.wrap(text, width - n))


# --- what is measured on each photo -------------------------------------------------------


def _pixels(info: dataset.PhotoInfo) -> np.ndarray:
    return np.frombuffer(info.thumb, np.uint8).reshape(dataset.THUMB, dataset.THUMB, 3).astype(np.float64) / 255


def _trim_bars(a: np.ndarray) -> np.ndarray:
    """Drop plain edge rows and columns (letterbox or pillarbox padding): they are not background."""
    plain = 0.02

    def flat(line: np.ndarray) -> bool:
        return float(line.std(axis=0).max()) < plain

    top, bottom, left, right = 0, a.shape[0], 0, a.shape[1]
    while bottom - top > 8 and flat(a[top, left:right]):
        top += 1
    while bottom - top > 8 and flat(a[bottom - 1, left:right]):
        bottom -= 1
    while right - left > 8 and flat(a[top:bottom, left]):
        left += 1
    while right - left > 8 and flat(a[top:bottom, right - 1]):
        right -= 1
    return a[top:bottom, left:right]


def lighting(info: dataset.PhotoInfo) -> tuple[float, float]:
    """(brightness 0-1, colour cast) of a photo: its mean luma and log(mean red / mean blue)."""
    a = _pixels(info)
    mean = a.reshape(-1, 3).mean(axis=0)
    brightness = float(mean @ np.array([0.299, 0.587, 0.114]))
    warmth = float(np.log((mean[0] + 0.02) / (mean[2] + 0.02)))
    return brightness, warmth


def borders(info: dataset.PhotoInfo) -> tuple[np.ndarray, np.ndarray]:
    """The chromaticity (red and green shares) of each side's outer eighth (top, bottom, left,
    right): 8 numbers, the same under brighter or dimmer light of one colour; and the same
    after dividing by the photo's mean colour ("balanced"), so that the light's colour drops out
    too. One trimming of the photo serves both."""
    a = _trim_bars(_pixels(info))
    h, w = a.shape[:2]
    bh, bw = max(1, h // 8), max(1, w // 8)
    sides = [a[:bh], a[-bh:], a[:, :bw], a[:, -bw:]]
    means = [s.reshape(-1, 3).mean(axis=0) for s in sides]
    grey = a.reshape(-1, 3).mean(axis=0) + 0.02
    plain = np.concatenate([m[:2] / (m.sum() + 1e-3) for m in means])
    balanced = np.concatenate([(m / grey)[:2] / ((m / grey).sum() + 1e-3) for m in means])
    return plain, balanced


def _background_spread(borders: Sequence[np.ndarray]) -> float:
    """Median distance of the borders from their element-wise median (a robust 'typical border')."""
    b = np.array(borders)
    typical = np.median(b, axis=0)
    return float(np.median(np.abs(b - typical).mean(axis=1)))


# --- the checks ------------------------------------------------------------------------------


def _counts(report: Report, by_label: dict[str, list[dataset.PhotoInfo]]) -> None:
    low, high = ADVICE_RANGE
    for label, infos in by_label.items():
        n = len(infos)
        if n < MIN_PHOTOS_ERROR:
            report.findings.append(
                Finding(
                    ERROR,
                    "too_few",
                    f"'{label}' has only {n} usable photo(s)",
                    f"A class needs at least {MIN_PHOTOS_ERROR} usable photos before anything can be learned or "
                    f"measured; {low} to {high} per class is a good amount. Take more photos of '{label}'.",
                    label=label,
                )
            )
        elif n < MIN_PHOTOS_WARNING:
            report.findings.append(
                Finding(
                    WARNING,
                    "few",
                    f"'{label}' has only {n} photos",
                    f"With under {MIN_PHOTOS_WARNING} photos the model learns '{label}' from too few examples and "
                    f"its score is measured on a handful of photos, so it means little. Aim for {low} to {high} "
                    "per class.",
                    label=label,
                )
            )
    sizes = {label: len(v) for label, v in by_label.items() if v}
    if len(sizes) >= 2:
        big = max(sizes, key=lambda k: sizes[k])
        small = min(sizes, key=lambda k: sizes[k])
        ratio = sizes[big] / sizes[small]
        if ratio > IMBALANCE_RATIO:
            report.findings.append(
                Finding(
                    WARNING,
                    "imbalance",
                    f"The classes are unbalanced: '{big}' has {sizes[big]} photos, '{small}' only {sizes[small]} "
                    f"({ratio:.1f} times fewer)",
                    f"A model trained on unbalanced classes learns that '{big}' is the likely answer and says it "
                    f"too often, especially for unclear photos; '{small}' is recognised less well. Take more "
                    f"photos of the small classes (or fewer of the big ones) so that each has about as many.",
                )
            )
    if len(sizes) < 2:
        report.findings.append(
            Finding(
                ERROR,
                "classes",
                f"Only {len(sizes)} class folder(s) with usable photos",
                "There must be at least 2 classes to tell apart: one folder of photos per class.",
            )
        )


def _unreadable(report: Report, unreadable: Sequence[photos.Skipped]) -> None:
    damaged = [s for s in unreadable if s.path.suffix.lower() in photos.IMAGE_SUFFIXES]
    other = [s for s in unreadable if s not in damaged]
    if damaged:
        reasons = Counter(s.reason for s in damaged)
        why = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common(3))
        report.findings.append(
            Finding(
                WARNING,
                "unreadable",
                f"{len(damaged)} photo file(s) could not be read and are left out",
                f"Why: {why}. Open them on a computer; re-save or replace the ones you need, delete the others.",
                files=[s.path for s in damaged],
            )
        )
    if other:
        report.findings.append(
            Finding(
                INFO,
                "not_photos",
                f"{len(other)} file(s) or folder(s) are not photos and are left out",
                "; ".join(sorted({s.reason for s in other})) + ".",
                files=[s.path for s in other],
            )
        )


def _duplicates(report: Report, infos: Sequence[dataset.PhotoInfo]) -> None:
    by_digest: dict[str, list[dataset.PhotoInfo]] = defaultdict(list)
    for info in infos:
        by_digest[info.digest].append(info)
    exact = [g for g in by_digest.values() if len(g) > 1]
    across = [g for g in exact if len({i.label for i in g}) > 1]
    within = [g for g in exact if len({i.label for i in g}) == 1]
    if across:
        report.findings.append(
            Finding(
                WARNING,
                "duplicate_across",
                f"Labelling mistake: {len(across)} photo(s) are in two classes at once",
                "The very same photo is filed under different classes: a labelling mistake. The model is taught "
                "two answers for one picture and is marked wrong whichever it gives. Keep each in its one right "
                "class folder.",
                groups=[[i.path for i in g] for g in across],
            )
        )
    if within:
        report.findings.append(
            Finding(
                WARNING,
                "duplicate",
                f"{sum(len(g) - 1 for g in within)} photo(s) are exact copies of another in the same class",
                "Copies add nothing new to learn from and make the class look bigger than it is. Delete the copies.",
                groups=[[i.path for i in g] for g in within],
            )
        )
    # Near-copies (perceptual hash), leaving out the exact copies already reported.
    first = {g[0].digest: g[0] for g in by_digest.values()}
    unique = list(first.values())
    group_of = similarity.groups([i.dhash for i in unique], [i.thumb for i in unique])
    near: dict[int, list[dataset.PhotoInfo]] = defaultdict(list)
    for g, info in zip(group_of, unique, strict=True):
        near[g].append(info)
    near_groups = [g for g in near.values() if len(g) > 1]
    # The same near-copy groups as the held-out split uses; across classes, pair by pair.
    near_across = _same_photo_pairs(near_groups)
    near_within = [g for g in near_groups if len({i.label for i in g}) == 1]
    if near_across:
        report.findings.append(
            Finding(
                WARNING,
                "near_duplicate_across",
                f"Labelling mistake: {len(near_across)} photo(s) appear in two classes (resized or re-saved)",
                "The same picture, resized or saved again, is filed under different classes: the model is taught "
                "two answers for one picture. Keep it in its one right class folder.",
                groups=[[a.path, b.path] for a, b in near_across],
            )
        )
    if near_within:
        report.findings.append(
            Finding(
                INFO,
                "near_duplicate",
                f"{sum(len(g) for g in near_within)} photos are near-copies of another in the same class "
                f"({len(near_within)} groups)",
                "Burst shots or repeated frames of the same scene teach little that is new. Teachkit keeps each "
                "group on one side of the held-out split, so the score stays honest; varied photos would help more.",
                groups=[[i.path for i in g] for g in near_within],
            )
        )


def _same_photo_pairs(groups: Sequence[list[dataset.PhotoInfo]]) -> list[tuple[dataset.PhotoInfo, dataset.PhotoInfo]]:
    """Pairs of near-copies (``similarity.near``, pair by pair, not through a chain) in two classes."""
    pairs = []
    for g in groups:
        for i, a in enumerate(g):
            for b in g[i + 1 :]:
                if a.label != b.label and similarity.near(a.dhash, b.dhash, a.thumb, b.thumb):
                    pairs.append((a, b))
    return pairs


def _shapes(report: Report, infos: Sequence[dataset.PhotoInfo]) -> None:
    small = [i for i in infos if min(i.width, i.height) < SMALL_SIDE]
    if small:
        report.findings.append(
            Finding(
                WARNING,
                "small",
                f"{len(small)} photo(s) are smaller than {SMALL_SIDE} pixels on their short side",
                f"The model looks at {SMALL_SIDE}x{SMALL_SIDE} pixels; smaller photos are blown up and blurred, "
                "unlike the sharp photos a camera gives at use time. Use the original photos, not thumbnails.",
                files=[i.path for i in small],
            )
        )
    long = [i for i in infos if max(i.width, i.height) / min(i.width, i.height) >= HARD_CROP_RATIO]
    if long:
        report.findings.append(
            Finding(
                WARNING,
                "hard_crop",
                f"{len(long)} photo(s) are so long and thin that the model sees only their middle",
                f"The model sees the central square of each photo. For these (at least {HARD_CROP_RATIO:g} times "
                "longer than wide) half the picture or more is cut off; what is at the ends is never seen. Crop "
                "them so the object is in a square around the middle.",
                files=[i.path for i in long],
            )
        )


def _names(labels: Sequence[str]) -> str:
    quoted = [f"'{label}'" for label in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _variety(report: Report, by_label: dict[str, list[dataset.PhotoInfo]]) -> None:
    """One finding for all the classes with one lighting, one for those with one background."""
    one_light: dict[str, str] = {}
    one_background: dict[str, str] = {}
    for label, infos in by_label.items():
        stats = report.classes[label]
        if len(infos) < MIN_PHOTOS_ERROR:
            continue
        light = [lighting(i) for i in infos]
        b_spread = statistics.pstdev(x[0] for x in light)
        w_spread = statistics.pstdev(x[1] for x in light)
        sides = [borders(i) for i in infos]
        bg_spread = _background_spread([plain for plain, _ in sides])
        bg_balanced = _background_spread([balanced for _, balanced in sides])
        stats.update(
            brightness_spread=round(b_spread, 4),
            warmth_spread=round(w_spread, 4),
            background_spread=round(bg_spread, 4),
            background_spread_balanced=round(bg_balanced, 4),
        )
        if b_spread < LIGHT_BRIGHTNESS_SPREAD and w_spread < LIGHT_WARMTH_SPREAD:
            one_light[label] = f"'{label}' {b_spread:.3f} and {w_spread:.3f}"
        if bg_spread < BACKGROUND_SPREAD and bg_balanced < BACKGROUND_SPREAD_BALANCED:
            one_background[label] = f"'{label}' {bg_spread:.3f} and {bg_balanced:.4f}"
    if one_light:
        labels = list(one_light)
        report.findings.append(
            Finding(
                WARNING,
                "one_lighting",
                f"The photos of {_names(labels)} were all taken in the same light"
                + (" (each class in its own)" if len(labels) > 1 else ""),
                f"Measured, how much the brightness and the colour of the light vary between the photos: "
                f"{'; '.join(one_light.values())} (flagged under {LIGHT_BRIGHTNESS_SPREAD} and "
                f"{LIGHT_WARMTH_SPREAD}). The model may learn the light instead of the object, and fail under "
                "other light. Photograph them in the conditions where the model will be used: other rooms, "
                "daylight and lamps, morning and evening.",
                label=labels[0] if len(labels) == 1 else None,
                labels=labels,
            )
        )
    if one_background:
        labels = list(one_background)
        report.findings.append(
            Finding(
                WARNING,
                "one_background",
                f"The photos of {_names(labels)} each show one background",
                f"Measured, how much the colours around the edges of the photos differ from the class's typical ones, "
                f"with brightness left out and with the colour of the light evened out too: "
                f"{'; '.join(one_background.values())} (flagged under {BACKGROUND_SPREAD} and "
                f"{BACKGROUND_SPREAD_BALANCED}; photos taken in varied places measure more). The model may learn "
                "the background instead of the object, and be lost on another one. Photograph them on the "
                "backgrounds where the model will be used.",
                label=labels[0] if len(labels) == 1 else None,
                labels=labels,
            )
        )


def check(found: photos.PhotoFolder, infos: list[dataset.PhotoInfo], unreadable: list[photos.Skipped]) -> Report:
    """Report on a scanned folder (``found``), its usable photos (``infos``) and the photo files
    that could not be decoded (``unreadable``; ``found.skipped`` is reported too)."""
    report = Report(root=found.root)
    by_label: dict[str, list[dataset.PhotoInfo]] = {label: [] for label in found.classes}
    for info in infos:
        by_label.setdefault(info.label, []).append(info)
    bad_per_label: Counter[str] = Counter()
    for s in unreadable:
        for label, files in found.classes.items():
            if s.path in files:
                bad_per_label[label] += 1
    for label, members in by_label.items():
        report.classes[label] = {"usable": len(members), "unreadable": bad_per_label[label]}
    seen = {s.path for s in unreadable}
    _counts(report, by_label)
    _unreadable(report, list(unreadable) + [s for s in found.skipped if s.path not in seen])
    _duplicates(report, infos)
    _shapes(report, infos)
    _variety(report, by_label)
    return report


def load(root: Path) -> tuple[photos.PhotoFolder, list[dataset.PhotoInfo], list[photos.Skipped]]:
    """Scan and decode a folder for the report: its PhotoInfos and the unreadable files."""
    found = photos.scan(root)
    return found, *dataset.inspect(found, None)


def run_check(photos_dir: Path, strict: bool, json_path: Path | None) -> int:
    """`teachkit check PHOTOS`: print the report, write it as JSON if asked; 0 when a build could
    go ahead. When it could not, a ``PhotoError`` after the report (the command line's exit 2,
    as for any problem with the photos); fewer than 2 class folders, before reading a photo."""
    found = photos.scan(Path(photos_dir))
    photos.require_classes(found)
    report = check(found, *dataset.inspect(found, None))  # no cache: check writes nothing
    report.print(sys.stdout)
    if json_path is not None:
        report.write_json(Path(json_path))
        print(printable(f"\nThe report is also in {json_path}"))
    if report.errors:
        raise PhotoError(
            f"The photos in {found.root} have {len(report.errors)} error(s) that would stop a build; "
            "see the report above."
        )
    if strict and report.warnings:
        raise PhotoError(
            f"The photos in {found.root} have {len(report.warnings)} warning(s), which stop a build in strict "
            "mode; see the report above."
        )
    return 0
