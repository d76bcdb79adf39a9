"""What is measured: (framework, operation) → path.  Plain data, no Django import."""

from __future__ import annotations

from dataclasses import dataclass

#: Rows seeded (and the page size and record asked for).
AUTHORS = 50
NOTES = 1000
PAGE = 50
GET_PK = 500

FRAMEWORKS = ("ajaxkit", "drf", "ninja")
OPERATIONS = ("list", "get")
DATABASES = ("sqlite", "postgres")


@dataclass(frozen=True)
class Target:
    framework: str
    operation: str
    path: str

    @property
    def name(self) -> str:
        return f"{self.framework}-{self.operation}"


TARGETS = (
    Target("ajaxkit", "list", f"/ajax/notes?limit={PAGE}&expand=author"),
    Target("ajaxkit", "get", f"/ajax/notes/{GET_PK}?expand=author"),
    Target("drf", "list", f"/drf/notes?limit={PAGE}"),
    Target("drf", "get", f"/drf/notes/{GET_PK}"),
    Target("ninja", "list", f"/ninja/notes?limit={PAGE}"),
    Target("ninja", "get", f"/ninja/notes/{GET_PK}"),
)


def target(name: str) -> Target:
    """The target called ``name`` (``"ajaxkit-list"``)."""
    for found in TARGETS:
        if found.name == name:
            return found
    raise KeyError(f"No target {name!r}; choose from {', '.join(t.name for t in TARGETS)}.")
