"""docs/django.md, "Middleware": GZipMiddleware that leaves streams and records alone."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware import gzip


# --8<-- [start:gzip]
class GZipMiddleware(gzip.GZipMiddleware):
    """Django's GZipMiddleware, except for streams and the mount's tagged records."""

    #: Where ajaxkit is mounted: path("ajax/", include(ajaxkit.django.urls(api))).
    ajax_prefix = "/ajax/"

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # A stream would be held back until it ends, and a record's ETag
        # weakened (W/"..."), which If-Match never matches: send them as they are.
        tagged = request.path.startswith(self.ajax_prefix) and response.has_header("ETag")
        if response.streaming or tagged:
            return response
        return super().process_response(request, response)


# --8<-- [end:gzip]
