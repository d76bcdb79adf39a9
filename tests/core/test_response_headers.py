"""ResponseHeaders against a plain list of pairs, for any sequence of edits.

The mapping keeps lower-cased names beside the pairs (so that asking for a
name does not lower-case every name again); whatever it is asked, it must
answer as the pairs alone would, names compared without case.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ajaxkit.types import ResponseHeaders

_names = st.sampled_from(["Vary", "vary", "VARY", "Link", "X-A", "x-a", "RateLimit"])
_values = st.sampled_from(["1", "2", "a, b", ""])
_edits = st.lists(
    st.tuples(st.sampled_from(["add", "set", "del", "extend", "fields"]), _names, _values),
    max_size=25,
)


def _model_remove(pairs: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    return [(n, v) for n, v in pairs if n.lower() != name.lower()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_names, _values), max_size=5), _edits, _names)
def test_answers_as_the_pairs_would(
    start: list[tuple[str, str]], edits: list[tuple[str, str, str]], asked: str
) -> None:
    headers = ResponseHeaders(start)
    model = list(start)
    for op, name, value in edits:
        if op == "add":
            headers.add(name, value)
            model.append((name, value))
        elif op == "extend":
            headers.extend([(name, value), (name.upper(), value)])
            model += [(name, value), (name.upper(), value)]
        elif op == "fields":
            headers.extend_fields([(name.lower(), value)])
            model.append((name.lower(), value))
        elif op == "set":
            headers[name] = value
            model = [*_model_remove(model, name), (name, value)]
        else:
            present = any(n.lower() == name.lower() for n, _ in model)
            try:
                del headers[name]
            except KeyError:
                assert not present
            else:
                assert present
            model = _model_remove(model, name)
        assert headers.multi_items() == model
    matching = [v for n, v in model if n.lower() == asked.lower()]
    assert (asked in headers) == bool(matching)
    assert headers.getlist(asked) == matching
    assert headers.get(asked) == (matching[0] if matching else None)
    first_spelling: dict[str, str] = {}
    for n, _ in model:
        first_spelling.setdefault(n.lower(), n)
    assert list(headers) == list(first_spelling.values())
    assert len(headers) == len(first_spelling)


def test_a_name_that_is_not_text_is_not_there() -> None:
    name: object = 1
    assert name not in ResponseHeaders({"X-A": "1"})
