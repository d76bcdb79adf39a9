"""One existing view served by ajaxkit: the mechanism behind every ``@ajax``.

Django's and Flask's ``@ajax`` decorators only translate: they build an
:class:`~ajaxkit.AjaxRequest` carrying the URL arguments the framework
captured, and hand it to a :class:`WrappedView`.  What the view gets is the
same everywhere:

* its first parameter, when it is named ``request`` (or annotated
  :class:`~ajaxkit.AjaxRequest`), is the framework's own request;
* URL arguments bind by name, checked against the parameter's type hint;
* every other parameter binds by name and type hint from the query string
  (GET, HEAD, DELETE) or the body (POST, PUT, PATCH), as for
  ``api.endpoint`` handlers;
* the options are those of :meth:`ajaxkit.Ajax.endpoint` (``methods``,
  ``login_required``, ``permission``, ``csrf_exempt``, ...), checked when the
  view is decorated;
* ``settings`` are the view's own (a compatibility profile, say); the
  framework's configuration is resolved over them on the first request, by
  the rule of :mod:`ajaxkit.core.config`.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ajaxkit.core.platform import Platform
from ajaxkit.core.registry import Ajax
from ajaxkit.core.settings import Settings
from ajaxkit.core.transactions import TransactionSource
from ajaxkit.types import AjaxRequest, AjaxResponse

__all__ = ["ConfigSource", "WrappedView"]

#: Gives the framework's configuration mapping when it is first needed.
ConfigSource = Callable[[], Mapping[str, Any]]


class WrappedView:
    """A view served through a private one-endpoint registry per configuration.

    Args:
        view: the view as written.
        settings: the view's own settings (default: ajaxkit's defaults).
        methods: accepted methods (default ``settings.default_methods``).
        options: as for :meth:`ajaxkit.Ajax.endpoint`.

    Raises:
        RegistrationError: a bad option, naming the view.
    """

    def __init__(
        self,
        view: Callable[..., Any],
        *,
        settings: Settings | None = None,
        methods: Iterable[str] | None = None,
        **options: Any,
    ) -> None:
        self.view = view
        # Registered now, so that a bad option fails when the view's module
        # is imported rather than on its first request.
        self._template = Ajax(settings)
        self.endpoint = self._template.add(
            "", view, methods=methods, request_arg="native", **options
        )
        self._registries: weakref.WeakKeyDictionary[Any, Ajax] = weakref.WeakKeyDictionary()

    def registry(self, owner: Any, config: ConfigSource) -> Ajax:
        """The registry serving the view under ``owner`` (a Flask app, Django's
        settings), its settings resolved from ``config()`` on first use."""
        api = self._registries.get(owner)
        if api is None:
            # A shallow copy shares the endpoint, built once; only the
            # resolved settings differ from one configuration to the next.
            api = copy.copy(self._template)
            api.apply_config(config())
            self._registries[owner] = api
        return api

    def dispatch(
        self,
        owner: Any,
        config: ConfigSource,
        request: AjaxRequest,
        platform: Platform,
        *,
        transactions: Sequence[TransactionSource] = (),
    ) -> AjaxResponse:
        """Answer ``request`` synchronously (WSGI), inside ``transactions``
        (see :meth:`ajaxkit.Ajax.dispatch`)."""
        return self.registry(owner, config).dispatch(request, platform, transactions=transactions)

    async def adispatch(
        self,
        owner: Any,
        config: ConfigSource,
        request: AjaxRequest,
        platform: Platform,
        *,
        transactions: Sequence[TransactionSource] = (),
    ) -> AjaxResponse:
        """Answer ``request`` on the running event loop (ASGI), inside
        ``transactions`` (see :meth:`ajaxkit.Ajax.dispatch`)."""
        return await self.registry(owner, config).adispatch(
            request, platform, transactions=transactions
        )
