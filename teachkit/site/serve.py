"""Preview a rendered site on this computer: loopback only (a secure context, so the webcam works)."""

from __future__ import annotations

import functools
import http.server
import ipaddress
import mimetypes
from pathlib import Path

from teachkit.errors import SiteError
from teachkit.site import mime


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the right MIME types, no caching (a preview changes under the browser)."""

    extensions_map = {**mimetypes.types_map, **mime.TYPES}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet: one line per error only
        if args and str(args[1] if len(args) > 1 else "").startswith(("4", "5")):
            super().log_message(format, *args)


def make_server(dist: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for ``dist`` on a loopback address (``port`` 0 picks a free one)."""
    dist = Path(dist)
    if not (dist / "index.html").is_file():
        raise SiteError(f"There is no site in {dist} (no index.html). Render one with `teachkit site MODEL`.")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise SiteError(
            f"`teachkit serve` only listens on this computer (127.0.0.1), not {host}: it is a preview. "
            "To share the site, copy the folder to a web host (the README says how)."
        )
    handler = functools.partial(Handler, directory=str(dist))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as e:
        raise SiteError(f"Cannot listen on {host}:{port} ({e.strerror}). Try another port.", option="port") from None


def serve(dist: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``dist`` until Ctrl+C."""
    server = make_server(dist, host, port)
    h, p = server.server_address[:2]
    shown = f"[{h}]" if ":" in str(h) else h
    print(f"Serving {Path(dist).resolve()} at http://{shown}:{p}/  (open it in a browser; Ctrl+C stops)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
