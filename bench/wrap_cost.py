"""What ``@ajax`` costs: decorating a view, and a request through a class-based view.

Run from the repository root with the repository's ``.venv``::

    .venv/bin/python bench/wrap_cost.py              # n=2000 requests, 300 decorations
    .venv/bin/python bench/wrap_cost.py -n 200 --decorations 50

Django's ``method_decorator`` applies its decorator on every call of the
method (it rebuilds the bound method each time), so a class-based view pays
for decorating once per request.  This prints the time to decorate one view
(Django's and Flask's ``@ajax``) and the time per request of the same view
written as a function view and as a class-based view under
``method_decorator``, each driven in-process: a ``RequestFactory`` request
handed straight to the view, with no middleware and no URL resolution, so
what is left is Django's view machinery plus ajaxkit.  Each answer is
checked before anything is timed; the figures are the best of ``--rounds``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(DEBUG=False, SECRET_KEY="bench-not-secret", ALLOWED_HOSTS=["testserver"])
django.setup()

from django.http import HttpRequest, HttpResponseBase  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils.decorators import method_decorator  # noqa: E402
from django.views import View  # noqa: E402

import ajaxkit.django  # noqa: E402
import ajaxkit.flask  # noqa: E402

EXPECTED = {"pk": 3, "q": "x"}


def note(request: HttpRequest, pk: int, q: str = "") -> dict[str, Any]:
    """The view measured, as a function view."""
    return {"pk": pk, "q": q}


function_view = ajaxkit.django.ajax(methods=["GET"])(note)


class NoteView(View):
    """The same view, class-based: ``method_decorator`` applies ``@ajax`` per call."""

    @method_decorator(ajaxkit.django.ajax(methods=["GET"]))
    def get(self, request: HttpRequest, pk: int, q: str = "") -> dict[str, Any]:
        return {"pk": pk, "q": q}


class_view = NoteView.as_view()


def best(rounds: int, n: int, call: Callable[[], object]) -> float:
    """The best of ``rounds`` mean times of ``n`` calls, in seconds per call."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            call()
        times.append((time.perf_counter() - start) / n)
    return min(times)


def decorate(ajax: Callable[..., Any]) -> Callable[[], object]:
    """One decoration of a fresh function (the cost a module pays per view at import)."""

    def once() -> object:
        def view(request: HttpRequest, pk: int, q: str = "") -> dict[str, Any]:
            return {"pk": pk, "q": q}

        return ajax(methods=["GET"])(view)

    return once


def request_through(view: Callable[..., HttpResponseBase]) -> Callable[[], object]:
    """One GET through ``view``, its answer checked once before timing."""
    request = RequestFactory().get("/notes/3/", {"q": "x"})

    def once() -> HttpResponseBase:
        return view(request, pk=3)

    answer = once()
    body = json.loads(answer.content)  # type: ignore[attr-defined]
    if answer.status_code != 200 or body != EXPECTED:
        raise SystemExit(f"wrong answer from {view!r}: {answer.status_code} {body!r}")
    return once


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures (microseconds) and the CBV/function ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per round")
    parser.add_argument("--decorations", type=int, default=300, help="decorations per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    figures = {
        "decorate (django @ajax)": best(
            args.rounds, args.decorations, decorate(ajaxkit.django.ajax)
        ),
        "decorate (flask @ajax)": best(args.rounds, args.decorations, decorate(ajaxkit.flask.ajax)),
        "request, function view": best(args.rounds, args.n, request_through(function_view)),
        "request, CBV method_decorator": best(args.rounds, args.n, request_through(class_view)),
    }
    for name, seconds in figures.items():
        print(f"{name:32} {seconds * 1e6:9.1f} µs")
    ratio = figures["request, CBV method_decorator"] / figures["request, function view"]
    print(f"{'CBV / function view':32} {ratio:9.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
