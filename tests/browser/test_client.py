"""ajaxkit.js in real Chromium, imported from a real server's mount."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ajaxkit.core.assets import client_files

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not start:\n{log.read_text(errors='replace')}")


@contextmanager
def serving(tmp_path: Path) -> Iterator[str]:
    """examples/client_page under uvicorn on an ephemeral port."""
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-m", "uvicorn", "examples.client_page.app:app"]
    command += ["--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        _wait_for(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_get_validation_errors_on_fields_and_a_live_event(browser: Browser, tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        page = browser.new_page()
        try:
            _exercise(page, server, tmp_path)
        finally:
            # Closed before the server stops: its live stream would keep
            # uvicorn waiting until the helper kills it, 10 s later.
            page.close()


def _exercise(page: Page, server: str, tmp_path: Path) -> None:
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.goto(server)
    page.wait_for_selector("html[data-ready=yes]", timeout=10_000)
    assert page.text_content("#greeting") == "Hello, ajaxkit!"

    page.click("#note-form button")  # an empty title: 422 with pointer #/title
    message = page.locator('[data-error-for="title"]')
    message.wait_for(timeout=10_000)
    assert "at least 1 character" in (message.text_content() or "")
    assert page.get_attribute("#title", "aria-invalid") == "true"
    assert page.get_attribute("#title", "aria-describedby") == "title-error"

    page.fill("#title", "first note")
    page.click("#note-form button")
    page.locator("#notes li", has_text="first note").wait_for(timeout=10_000)
    assert page.get_attribute("#title", "aria-invalid") is None
    page.screenshot(path=str(tmp_path / "client-page.png"))

    # A versioned import loads its whole module graph at that version.
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    kind = page.evaluate("import('/ajax/ajaxkit.js?v=e2e').then((m) => typeof m.createClient)")
    assert kind == "function"
    modules = [url for url in loaded if "/ajax/ajaxkit" in url]
    assert len(modules) == len(client_files())
    assert all(url.endswith("?v=e2e") for url in modules)

    # Two calls in one tick: one batch request, each call answered on its own.
    loaded.clear()
    answers = page.evaluate(
        """async () => {
            const { createClient } = await import('/ajax/ajaxkit.js');
            const api = createClient({ coalesce: true });
            const names = await Promise.all(
                ['ada', 'bob'].map((name) => api.get('hello', { params: { name } })));
            const failed = await api.post('notes', { title: '' }).catch((e) => e.constructor.name);
            return [names.map((n) => n.message), failed];
        }"""
    )
    assert answers == [["Hello, ada!", "Hello, bob!"], "ValidationError"]
    ajax_calls = [url for url in loaded if "/ajax/" in url and "ajaxkit" not in url]
    assert ajax_calls == [f"{server}/ajax/_batch", f"{server}/ajax/notes"]
    assert failures == []


def test_a_stream_dropped_before_its_first_event_resumes_where_it_started(
    browser: Browser, tmp_path: Path
) -> None:
    # The client had no cursor until an event came (EventSource keeps the
    # first frame's id to itself), so a stream reopened before then
    # started from now: a note published in the gap never arrived.  The
    # first frame's ajaxkit-open event gives it, with no request first.
    with serving(tmp_path) as server:
        page = browser.new_page()
        try:
            page.goto(server)
            page.wait_for_selector("html[data-ready=yes]", timeout=10_000)
            got = page.evaluate(
                """async () => {
                    const { createClient } = await import('/ajax/ajaxkit.js');
                    const before = performance.getEntriesByType('resource').length;
                    const api = createClient();
                    const got = [];
                    let opened;
                    const open = new Promise((resolve) => { opened = resolve; });
                    api.subscribe(['notes'], (note) => got.push(note.title), {
                        onStatus: (state) => state === 'open' && opened(),
                    });
                    await open;
                    api.live.close(); // the connection drops, as in a network blip
                    await api.post('notes', { title: 'in the gap' });
                    api.live.reconnect(true);
                    const deadline = Date.now() + 5000;
                    while (!got.length && Date.now() < deadline) {
                        await new Promise((resolve) => setTimeout(resolve, 50));
                    }
                    // The page's own script asked _live/poll before: not counted.
                    const polls = performance.getEntriesByType('resource').slice(before)
                        .filter((entry) => entry.name.includes('/_live/poll')).length;
                    return { got, polls };
                }"""
            )
        finally:
            page.close()
    assert got == {"got": ["in the gap"], "polls": 0}, "the stream's first frame gave the cursor"


# Topics named as EventSource's own events, each frame once per stream; the
# stream ends after them, so Chromium fires its own "error" and reconnects.
_OWN_NAMES_STREAM = (
    'id: x:0\nretry: 100\nevent: ajaxkit-open\ndata: {"cursor":"x:0","head":"x:0"}\n\n'
    "id: x:1\nevent: open\ndata: 1\n\n"
    "id: x:2\nevent: message\ndata: 2\n\n"
    "id: x:3\nevent: error\ndata: 3\n\n"
)


def test_topics_named_as_eventsource_events_hear_only_their_own(
    browser: Browser, tmp_path: Path
) -> None:
    # Chromium dispatches its own "open" and "error" events (no data) to a
    # topic's listeners of the same name; taken for the topic's, they threw.
    with serving(tmp_path) as server:
        page = browser.new_page()
        failures: list[str] = []
        page.on("pageerror", lambda error: failures.append(str(error)))
        page.route(
            "**/_live/sse?*",
            lambda route: route.fulfill(
                status=200, content_type="text/event-stream", body=_OWN_NAMES_STREAM
            ),
        )
        try:
            page.goto(server)
            page.wait_for_selector("html[data-ready=yes]", timeout=10_000)
            heard = page.evaluate(
                """async () => {
                    const { createClient } = await import('/ajax/ajaxkit.js');
                    const api = createClient();
                    const got = [], states = [];
                    const show = (n, { topic }) => got.push([topic, n]);
                    api.subscribe(['error', 'message', 'open'], show, {
                        onStatus: (state) => states.push(state),
                    });
                    const deadline = Date.now() + 5000;
                    while (states.filter((s) => s === 'open').length < 3 && Date.now() < deadline) {
                        await new Promise((resolve) => setTimeout(resolve, 50));
                    }
                    return { got, states: states.slice(0, 4) };
                }"""
            )
        finally:
            page.close()
    assert failures == []
    assert heard == {
        "got": [["open", 1], ["message", 2], ["error", 3]],
        "states": ["connecting", "open", "reconnecting", "open"],
    }
