"""Django's view decorators that cannot wrap an ``@api.endpoint`` handler.

Under ``@api.endpoint`` they answer in Django's words or not at all:
``login_required`` redirected an anonymous ``fetch()`` to the login page
(and failed on ajaxkit's request), ``require_POST`` answered Django's empty
405, and ``csrf_exempt`` exempted nothing, since ``CsrfViewMiddleware``
never sees the handler.  Registration refuses them, saying which endpoint
option does the job (:data:`~ajaxkit.core.platform.DecoratorCheck`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required, user_passes_test
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ajaxkit.core.platform import DecoratorAdvice

__all__ = ["view_decorator_advice"]


def view_decorator_advice() -> DecoratorAdvice:
    """Django's view decorators and what an endpoint writes instead."""
    return (
        (
            (login_required, permission_required("auth.view_user"), user_passes_test(bool)),
            "Django's login_required (as permission_required and user_passes_test) answers "
            "an anonymous fetch() with a redirect to the login page, and cannot read "
            "ajaxkit's request; remove it and write @api.endpoint(..., login_required=True) "
            "for a 401 problem, or permission=lambda request: ... for a 403.",
        ),
        (
            (require_http_methods(["GET"]),),
            "Django's require_http_methods (as require_GET, require_POST and require_safe) "
            "answers another method with Django's own empty 405; remove it and write "
            "@api.endpoint(..., methods=[...]), which answers it with a 405 problem.",
        ),
        (
            (csrf_exempt,),
            "Django's csrf_exempt exempts nothing here, since ajaxkit checks an endpoint's "
            "CSRF itself; remove it and write @api.endpoint(..., csrf_exempt=True).",
        ),
    )
