"""The Flask integration.

Mount a registry with a Blueprint::

    from ajaxkit.flask import blueprint

    app.register_blueprint(blueprint(api), url_prefix="/ajax")

or the extension (``AjaxKit(app, api=api)`` / ``init_app``), and give existing
views ajaxkit's wire behaviour with ``@ajax``.  The user is Flask-Login's
``current_user`` when the app has a login manager.  ``app.config`` keys
``AJAXKIT_<NAME>`` (``AJAXKIT_DEBUG``, ``AJAXKIT_MAX_BODY_SIZE``, ...) are
read at registration, by the rule of ``docs/settings.md``.
"""

from __future__ import annotations

from ajaxkit.flask.adapter import StreamBody, to_ajax_request, to_flask_response
from ajaxkit.flask.decorator import ajax
from ajaxkit.flask.login import fetch_aware_login
from ajaxkit.flask.mount import AjaxKit, blueprint
from ajaxkit.flask.platform import FLASK_PLATFORM, translate_exception
from ajaxkit.flask.token import csrf_token

__all__ = [
    "FLASK_PLATFORM",
    "AjaxKit",
    "StreamBody",
    "ajax",
    "blueprint",
    "csrf_token",
    "fetch_aware_login",
    "to_ajax_request",
    "to_flask_response",
    "translate_exception",
]
