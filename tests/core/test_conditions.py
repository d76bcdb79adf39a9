"""``If-None-Match`` is read one way for every answer with an ``ETag``."""

from __future__ import annotations

from ajaxkit.core.conditions import none_match


def test_if_none_match_comparison() -> None:
    assert none_match('"a"', '"a"')
    assert none_match('W/"a"', '"a"')
    assert none_match('"b", W/"a"', '"a"')
    assert none_match("*", '"a"')
    assert none_match('"b", *', '"a"')
    assert not none_match(None, '"a"')
    assert not none_match("", '"a"')
    assert not none_match('"ab"', '"a"')
