"""Crossing into JavaScript without leaks: plain data goes over as JSON-shaped JS objects."""

from __future__ import annotations

import json
from typing import Any

import js
from pyodide.ffi import to_js


def to_object(value: Any) -> Any:
    """Python data (dicts, lists, str, numbers, None) as a plain JS value: no proxies left behind,
    and ``None`` becomes ``null`` (``to_js`` would make it ``undefined``)."""
    return js.JSON.parse(json.dumps(value))


def present(value: Any) -> bool:
    """False for Python None and for JavaScript null/undefined (Pyodide's ``jsnull`` is an object)."""
    return value is not None and type(value).__name__ != "JsNull"


def array(values: list[int] | list[float]) -> Any:
    """A JS array of numbers (TF.js wants arrays, not proxies of Python lists)."""
    return to_js(values)


def error_name(error: BaseException) -> str:
    """The JS error's name (NotAllowedError, ...) of a JsException, else the Python type name."""
    js_error = getattr(error, "js_error", None)
    name = getattr(js_error, "name", None) if js_error is not None else None
    return str(name) if name else type(error).__name__
