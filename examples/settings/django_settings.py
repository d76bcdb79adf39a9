"""ajaxkit's part of a Django ``settings.py`` (docs/settings.md)."""

DEBUG = True

AJAXKIT = {
    "DEBUG": False,  # beats DEBUG above: no tracebacks in 500 problems
    "MAX_BODY_SIZE": 10 * 1024 * 1024,  # ajaxkit's limit, not DATA_UPLOAD_MAX_MEMORY_SIZE
    "DEFAULT_METHODS": ["GET", "POST"],
}
