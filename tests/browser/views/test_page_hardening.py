"""Page hardening (issue #15 §6): a strict CSP, no token in the address bar, and no
socket to a server off the allow-list.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from infra.local.runner import LocalStack
from tests.browser.views.pages import KNOBS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def test_a_page_sends_a_strict_csp_and_keeps_no_token_in_the_address_bar(
    browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    token = local_stack.token("kiosk")
    page = browser_context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        # When a kiosk opens the link it was given, token and all
        response = page.goto(f"{local_stack.http_url}/kiosk?token={token}&{KNOBS}")
        assert response is not None
        # Then the page came with a strict policy: its own scripts only, sockets to its own
        # origin only, never framed
        policy = response.headers["content-security-policy"]
        host = local_stack.http_url.removeprefix("http://")
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "frame-ancestors 'none'",
        ):
            assert directive in policy, policy
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
        # And the token left the address bar (and so history); the socket URL has none:
        # it travelled as the subprotocol
        assert "token" not in page.url and token not in page.url
        assert page.url.endswith(KNOBS)
        assert sockets == [local_stack.ws_url]
        # And the browser enforces the policy: an injected inline script does not run
        ran = page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.injected = true";
                       document.head.appendChild(s); return window.injected === true; }"""
        )
        assert ran is False
        # And the tab keeps the token: a reload still connects
        page.reload()
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
    finally:
        page.close()


def test_a_ws_parameter_off_the_allow_list_is_ignored(
    browser_context: BrowserContext, local_stack: LocalStack
) -> None:
    # Given a crafted link that points the crew page at someone else's server
    token = local_stack.token("crew", "st-2")
    page = browser_context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        page.goto(f"{local_stack.http_url}/crew?token={token}&ws=ws://evil.invalid/grab&{KNOBS}")
        # Then the page connects to its own API only, and the token went nowhere else
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
        assert sockets == [local_stack.ws_url]
        allowed = page.evaluate(
            """() => [MediaDay.allowedSocket("ws://evil.invalid/grab"),
                      MediaDay.allowedSocket("wss://" + location.host + "/local"),
                      MediaDay.allowedSocket("https://" + location.host + "/local")]"""
        )
        assert allowed == [False, True, False]
    finally:
        page.close()
