"""The client's scripts in a blank page over a scripted WebSocket, for the *_js tests.

The scripted socket (scripted_socket.js) records what the client sends and lets a test
deliver frames in any order, so the delivery rules can be checked exactly. The client's
scripts are the ones kiosk.html loads, in its order, so the tests see what the pages run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

WEB = Path(__file__).resolve().parents[2] / "client" / "web"
SCRIPTED_SOCKET = Path(__file__).with_name("scripted_socket.js")
_SCRIPT_TAG = re.compile(r'<script src="([^"]+)"')


def page_scripts(page_name: str) -> list[str]:
    """The scripts a page of client/web loads, in order."""
    return _SCRIPT_TAG.findall((WEB / page_name).read_text(encoding="utf-8"))


def client_scripts() -> list[Path]:
    """The scripts the views share: every script of the kiosk page but its own and the
    pairing screen (which takes over a page opened without a token)."""
    own = {"kiosk.js", "pairing.js"}
    return [WEB / name for name in page_scripts("kiosk.html") if name not in own]


def load_client(page: Page) -> Page:
    """A blank page with the scripted socket in place of WebSocket, then the client."""
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(SCRIPTED_SOCKET))
    for script in client_scripts():
        page.add_script_tag(path=str(script))
    return page


def run(page: Page, body: str) -> Any:
    """Run an async JavaScript body in the page and return its result."""
    return page.evaluate(f"async () => {{ {body} }}")
