"""The ajaxkit performance benchmark (see ``bench/README.md``); not part of the package."""
