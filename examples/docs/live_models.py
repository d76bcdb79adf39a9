"""docs/live.md: a model endpoint that narrows rows publishes each row to its owner's topic.

The note model and endpoint are those of docs/models.md
(``examples/docs/models_app.py``), with ``owner`` shown: ``topics(record)``
gets the record as the endpoint shows it, so the field it routes by must be
one of ``fields``.
"""

from __future__ import annotations

from ajaxkit import Ajax
from ajaxkit.live import Live
from examples.docs.models_app import Note, NoteEndpoint, SessionLocal


class OwnedNoteEndpoint(NoteEndpoint):
    fields = (*NoteEndpoint.fields, "owner")
    read_only = (*NoteEndpoint.read_only, "owner")


api = Ajax()
api.model(Note, OwnedNoteEndpoint, resource="notes", session=SessionLocal)

# --8<-- [start:topics]
live = Live(api)
live.topic(
    "notes/{owner}",
    authorize=lambda request, topic, action: topic == f"notes/{request.user.username}",
)
# topics() gets the record as the endpoint shows it: "owner" is in its fields.
live.model(Note, topics=lambda record: [f"notes/{record['owner']}"])
# --8<-- [end:topics]
