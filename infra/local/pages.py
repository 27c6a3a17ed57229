"""The web pages beside the APIs: files of a web root the caller chooses (the CLI passes
client/web), so the emulator knows nothing of what the pages are.

Every page goes out with a strict Content-Security-Policy, as CloudFront sends it through
the stack's response headers policy (infra/web.tf): scripts, styles and everything else
from the page's own origin only, WebSocket connections to this origin only (the pages and
the API share one port here), and no framing.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(host: str) -> str:
    """The pages' policy for a page served as `host` (the Host header; a malformed one is
    left out, so nothing of it is ever written into the header)."""
    sockets = f" ws://{host} wss://{host}" if _HOST.match(host) else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self'{sockets}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
        ]
    )


def static_pages(web_root: Path | None) -> PageHandler:
    """A handler for `/{path}`: `/kiosk` serves `kiosk.html` (or `kiosk/index.html`);
    with no web root every page is 404."""

    async def serve_page(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"].strip("/") or "index.html"
        path = await asyncio.to_thread(_page_file, web_root, relative)  # stat off the loop
        if path is None:
            raise web.HTTPNotFound()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers = {
            "Content-Type": content_type,
            "Cache-Control": "no-cache",
            "Content-Security-Policy": content_security_policy(request.host),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        return web.FileResponse(path, headers=headers)

    return serve_page


def _page_file(web_root: Path | None, relative: str) -> Path | None:
    """The file for a page path, never outside the web root."""
    if web_root is None or not web_root.is_dir():
        return None
    root = web_root.resolve()
    for candidate in (relative, f"{relative}.html", f"{relative}/index.html"):
        path = (root / candidate).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path
    return None
