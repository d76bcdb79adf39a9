"""Stores shared by many processes (Redis) for the core's rate limits and idempotency keys.

Kept out of :mod:`ajaxkit.core`, which never imports a client library for a
service; the in-process stores live in the core itself.
"""
