"""A page's event wiring, shared by the classify and the Teach page: listeners kept alive for the
page's lifetime, and each handler's coroutine started at once, kept, and its failure reported in
the page's own way (``_report``)."""

from __future__ import annotations

import asyncio
from typing import Any

from pyodide.ffi import create_proxy


class Wired:
    """Mixed into a page class that sets ``_proxies`` (list) and ``_tasks`` (set) and defines
    ``_report(task)``."""

    _proxies: list[Any]
    _tasks: set[asyncio.Task[Any]]

    def _report(self, task: asyncio.Future[Any]) -> None:
        raise NotImplementedError

    def _listen(self, target: Any, event: str, handler: Any) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    def _run(self, coro: Any) -> None:
        # Started at once, inside the event's handler, up to its first wait: a photo's decoding
        # begins without a turn of the event loop in between.
        task = asyncio.Task(coro, loop=asyncio.get_event_loop(), eager_start=True)
        self._tasks.add(task)  # asyncio keeps only weak references
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._report)
