"""The benchmarked apps: each framework's own JSON views beside the same endpoints in ajaxkit.

Every app serves ``/raw/{small,users,echo}`` (the framework's idiom) and
``/ajax/{small,users,echo}`` (ajaxkit mounted with the framework's idiom) from
one server process, so a raw/ajaxkit pair is measured against the same warm
worker.  The data all of them serve lives in :mod:`bench.apps.data`.
"""
