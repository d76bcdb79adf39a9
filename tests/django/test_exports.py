"""``ajaxkit.django`` declares its public surface once."""

from __future__ import annotations

import types

import pytest

import ajaxkit.django

pytestmark = pytest.mark.django


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(ajaxkit.django).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert sorted(ajaxkit.django.__all__) == sorted(public) == ajaxkit.django.__all__
