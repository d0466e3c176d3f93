"""The pupil's lesson in memory: classes, their examples (embedding + picture bytes), the trained head.

Every change goes through ``Lesson``'s methods, which forget the trained head (it no longer
matches the examples) and say what to keep (``store``). Names are the pupil's words: any script,
kept as typed (only trimmed), shown as text only.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from teachkit_app.i18n import _

#: Teachable Machine's limit is none; ours keeps a class list readable and the zips bounded.
MAX_CLASSES = 20
MAX_NAME = 60


class TeachError(Exception):
    """Something the pupil asked for that cannot be done; the message is one plain sentence."""


@dataclass
class Example:
    id: str  # unique, stable across reloads
    embedding: list[float]  # the frozen base's output for this picture (length = base features)
    image: bytes  # the picture as stored/exported (JPEG, or the original file's bytes)
    filename: str  # the name it gets in the examples zip ("class-name/0001.jpg")
    #: The picture's mean red, green and blue (0-1), then its top, bottom, left and right
    #: eighths' (embedder.COLOURS), for the "one lighting" and "one background" advice; None: unknown.
    colour: tuple[float, ...] | None = None


@dataclass
class TeachClass:
    name: str
    examples: list[Example] = field(default_factory=list)
    #: Stable across renames and reloads: the keep's key for this class.
    id: str = ""


_ids = itertools.count()


def new_id(prefix: str) -> str:
    """An id no other example or class of this lesson has, also after a reload (time + counter)."""
    return f"{prefix}{int(time.time() * 1000):x}-{next(_ids):x}"


def clean_name(name: Any) -> str:
    """A class name as the pupil typed it, trimmed; a ``TeachError`` for an empty or long one."""
    text = " ".join(str(name if name is not None else "").split())
    if not text:
        raise TeachError(_("A class needs a name."))
    if len(text) > MAX_NAME:
        raise TeachError(_("A class name can be at most %(n)d characters long.") % {"n": MAX_NAME})
    return text


def _number(filename: str) -> int:
    """0001 of "Class 1/0001.jpg" (0 for a name of another form, e.g. an opened zip's)."""
    stem = filename.rsplit("/", 1)[-1].split(".", 1)[0]
    return int(stem) if stem.isdigit() else 0


class Lesson:
    """Classes in the pupil's order; ``trained`` is the head trained on them (None until trained,
    and again after any change)."""

    def __init__(self) -> None:
        self.classes: list[TeachClass] = []
        self.trained: Any = None  # trainer.Trained

    @classmethod
    def fresh(cls) -> Lesson:
        """A new lesson as Teachable Machine starts one: "Class 1" and "Class 2", no examples."""
        lesson = cls()
        lesson.add_class(_("Class %(number)d") % {"number": 1})
        lesson.add_class(_("Class %(number)d") % {"number": 2})
        return lesson

    # -- classes ------------------------------------------------------------------------------
    def index(self, i: Any) -> int:
        """``i`` as a valid class index, else a ``TeachError``."""
        try:
            n = int(i)
        except (TypeError, ValueError):
            n = -1
        if not 0 <= n < len(self.classes) or n != i:
            raise TeachError(_("There is no class number %(i)s.") % {"i": i})
        return n

    def names(self) -> list[str]:
        return [c.name for c in self.classes]

    def _unique(self, name: str, skip: int | None = None) -> str:
        taken = {c.name.casefold() for k, c in enumerate(self.classes) if k != skip}
        if name.casefold() in taken:
            # Folders of the examples zip are the names: two classes may not share one.
            raise TeachError(_("There is already a class called %(name)s.") % {"name": name})
        return name

    def add_class(self, name: Any = None) -> int:
        if len(self.classes) >= MAX_CLASSES:
            raise TeachError(_("A lesson can have at most %(n)d classes.") % {"n": MAX_CLASSES})
        if name is None or (isinstance(name, str) and not name.strip()):
            taken = {c.name.casefold() for c in self.classes}
            number = len(self.classes) + 1
            while (_("Class %(number)d") % {"number": number}).casefold() in taken:
                number += 1
            name = _("Class %(number)d") % {"number": number}
        self.classes.append(TeachClass(self._unique(clean_name(name)), [], new_id("c")))
        self.trained = None
        return len(self.classes) - 1

    def rename_class(self, i: Any, name: Any) -> None:
        k = self.index(i)
        cls = self.classes[k]
        cls.name = self._unique(clean_name(name), skip=k)
        for example in cls.examples:  # the zip's folder is the class's name
            example.filename = f"{cls.name}/{example.filename.rsplit('/', 1)[-1]}"
        self.trained = None

    def remove_class(self, i: Any) -> TeachClass:
        removed = self.classes.pop(self.index(i))
        self.trained = None
        return removed

    # -- examples -----------------------------------------------------------------------------
    def add_example(
        self,
        i: int,
        embedding: list[float],
        image: bytes,
        extension: str = "jpg",
        colour: tuple[float, ...] | None = None,
    ) -> Example:
        cls = self.classes[self.index(i)]
        number = 1 + max((_number(e.filename) for e in cls.examples), default=0)
        example = Example(new_id("e"), embedding, image, f"{cls.name}/{number:04d}.{extension}", colour)
        cls.examples.append(example)
        self.trained = None
        return example

    def remove_example(self, i: int, example_id: str) -> Example | None:
        cls = self.classes[self.index(i)]
        for n, example in enumerate(cls.examples):
            if example.id == example_id:
                self.trained = None
                return cls.examples.pop(n)
        return None

    def clear_class(self, i: int) -> list[Example]:
        cls = self.classes[self.index(i)]
        gone, cls.examples = cls.examples, []
        self.trained = None
        return gone

    def embeddings(self) -> list[list[list[float]]]:
        """[class][example] -> embedding: what ``trainer.train`` takes."""
        return [[e.embedding for e in c.examples] for c in self.classes]

    def summary(self) -> list[dict[str, Any]]:
        """``teachkit.teach.classes``: [{name, count}]."""
        return [{"name": c.name, "count": len(c.examples)} for c in self.classes]
