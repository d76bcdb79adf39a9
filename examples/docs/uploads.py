"""The framework pages (docs/django.md, flask.md, ...): a file upload endpoint."""

from __future__ import annotations

from ajaxkit import Ajax, AjaxRequest, UploadedFile, ValidationFailed
from ajaxkit.testing import Client

api = Ajax()


@api.endpoint("avatars", methods=["POST"])
def upload_avatar(
    request: AjaxRequest, avatar: UploadedFile, caption: str = ""
) -> tuple[dict[str, object], int]:
    # The whole file is in memory (bounded by max_body_size): avatar.data is its bytes.
    if not avatar.content_type.startswith("image/"):
        detail = "Send an image."
        raise ValidationFailed([{"pointer": "#/avatar", "detail": detail, "code": "not_an_image"}])
    return {"name": avatar.filename, "bytes": avatar.size, "caption": caption}, 201


def test_upload() -> None:
    client = Client(api)  # a browser sends it as FormData: multipart/form-data
    png = ("me.png", b"\x89PNG...", "image/png")
    response = client.post("/ajax/avatars", data={"caption": "me"}, files={"avatar": png})
    assert response.json() == {"name": "me.png", "bytes": 7, "caption": "me"}
    text = ("notes.txt", b"hello", "text/plain")
    response = client.post("/ajax/avatars", files={"avatar": text})
    assert response.json()["errors"][0]["code"] == "not_an_image"
