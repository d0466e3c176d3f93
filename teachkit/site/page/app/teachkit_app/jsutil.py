"""Crossing into JavaScript without leaks: plain data goes over as JSON-shaped JS objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy, to_js


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


def proxied_object(funcs: dict[str, Any], keep: list[Any]) -> Any:
    """A JS object of Python functions (``window.teachkit``'s methods); their proxies go into
    ``keep``, which the caller holds for the page's lifetime so the functions stay callable."""
    obj = js.Object.new()
    for name, fn in funcs.items():
        proxy = create_proxy(fn)
        keep.append(proxy)
        setattr(obj, name, proxy)
    return obj


def ready(status: Callable[[str], None], backend: str, bridge: Any, api: Any) -> None:
    """The page is ready (the classify page's and the Teach page's last step): the backend's badge,
    the loading screen gone, and ``window.teachkit`` connected to ``api``."""
    badge = js.document.getElementById("backend")
    if present(badge):
        badge.textContent = backend
        badge.dataset.backend = backend
    status("")
    js.document.body.classList.add("ready")
    bridge.connect(api)
