"""The CSRF policy against a real browser: Chromium, two real servers on 127.0.0.1.

The same Starlette app runs twice, on ports A and B.  A page from A posting
to A is the page's own ``fetch()`` and succeeds without any token; a page
from B posting to A (another origin: the browser says ``Sec-Fetch-Site:
same-site`` and ``Origin: http://127.0.0.1:B``) is refused with the JSON 403,
both as a ``fetch()`` and as a plain form submission.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

import ajaxkit.starlette
from ajaxkit import Ajax
from tests.django.test_websocket_server import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.starlette]

PAGE = """<!doctype html><html><body>
<form id="form" method="post" action="{target}/ajax/submit">
  <input name="amount" value="1000"><button>send</button>
</form>
<script>
window.post = async (target) => {{
  try {{
    const r = await fetch(target + "/ajax/submit", {{
      method: "POST", credentials: "include",
      headers: {{"Content-Type": "application/json"}}, body: "{{}}"}});
    return {{status: r.status, body: await r.json()}};
  }} catch (e) {{
    return {{error: String(e)}};
  }}
}};
</script></body></html>"""


def make_app(calls: list[str]) -> Starlette:
    api = Ajax()

    @api.endpoint("submit", methods=["POST"])
    def submit(request: object) -> dict[str, bool]:
        calls.append("submit")
        return {"submitted": True}

    def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE.format(target=request.query_params.get("target", "")))

    return Starlette(routes=[Route("/page", page), Mount("/ajax", app=ajaxkit.starlette.app(api))])


@pytest.fixture(scope="module")
def calls() -> list[str]:
    return []


@pytest.fixture(scope="module")
def servers(calls: list[str]) -> Iterator[tuple[str, str]]:
    app = make_app(calls)
    with serving(app) as a, serving(app) as b:
        yield f"http://{a}", f"http://{b}"


def test_X4_same_origin_page_fetch_passes_without_a_token(
    browser: Browser, servers: tuple[str, str], calls: list[str]
) -> None:
    a, _ = servers
    page = browser.new_page()
    try:
        page.goto(f"{a}/page")
        result = page.evaluate("(t) => window.post(t)", a)
    finally:
        page.close()
    assert result == {"status": 200, "body": {"submitted": True}}


def test_X3_page_from_another_port_is_refused(
    browser: Browser, servers: tuple[str, str], calls: list[str]
) -> None:
    a, b = servers
    before = len(calls)
    page = browser.new_page()
    seen: list[int] = []
    page.on("response", lambda r: seen.append(r.status) if r.url.endswith("/submit") else None)
    try:
        page.goto(f"{b}/page")
        # The fetch is refused by the server (403) and then by the browser (no CORS grant).
        assert "error" in page.evaluate("(t) => window.post(t)", a)
        page.goto(f"{b}/page?target={a}")
        with page.expect_navigation():
            page.click("button")
        problem = page.evaluate("() => JSON.parse(document.body.innerText)")
    finally:
        page.close()
    assert problem["status"] == 403
    assert problem["code"] == "csrf_failed"
    assert "same-site" in problem["detail"]
    assert 403 in seen
    assert len(calls) == before, "the handler must not run"
