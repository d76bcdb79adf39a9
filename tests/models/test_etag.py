"""Entity tags of records and of their expanded representations, with no
database: the version-field case the model spec has no expandable model for."""

from __future__ import annotations

import pytest

from ajaxkit.core.encoding import JSONEncoder
from ajaxkit.core.models.etag import check_if_match, record_etag, representation_etag
from ajaxkit.exceptions import PreconditionFailed

ENCODER = JSONEncoder()


def test_an_expanded_representation_of_a_versioned_record_has_a_tag_of_its_own() -> None:
    record = {"id": 1, "author": 2, "version": 7}
    tag = record_etag(record, ENCODER, "version")
    assert tag == '"v7"'
    shown = {**record, "author": {"id": 2, "name": "Ann"}}
    expanded = representation_etag(tag, shown, ENCODER)
    assert expanded.startswith('"v7+') and expanded.endswith('"')
    renamed = {**record, "author": {"id": 2, "name": "Anne"}}
    assert representation_etag(tag, renamed, ENCODER) != expanded


def test_if_match_takes_a_representation_of_the_current_version_only() -> None:
    expanded = representation_etag('"v7"', {"id": 1}, ENCODER)
    check_if_match(expanded, '"v7"', required=True)
    check_if_match(f'"v6", {expanded}', '"v7"', required=True)
    for stale in (expanded, f"W/{expanded}", '"v7+"', '"v7+' + "g" * 32 + '"', expanded[:-2] + '"'):
        with pytest.raises(PreconditionFailed):
            check_if_match(stale, '"v8"' if stale == expanded else '"v7"', required=False)
