"""The web pages beside the APIs: files of a web root the caller chooses (the CLI passes
client/web), so the emulator knows nothing of what the pages are."""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def static_pages(web_root: Path | None) -> PageHandler:
    """A handler for `/{path}`: `/kiosk` serves `kiosk.html` (or `kiosk/index.html`);
    with no web root every page is 404."""

    async def serve_page(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"].strip("/") or "index.html"
        path = await asyncio.to_thread(_page_file, web_root, relative)  # stat off the loop
        if path is None:
            raise web.HTTPNotFound()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return web.FileResponse(
            path, headers={"Content-Type": content_type, "Cache-Control": "no-cache"}
        )

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
