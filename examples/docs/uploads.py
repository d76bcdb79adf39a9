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


@api.endpoint("posts", methods=["POST"])
def create_post(
    request: AjaxRequest, text: str, picture: UploadedFile | None = None
) -> dict[str, object]:
    # A file input left empty arrives as no file: picture is None.
    return {"text": text, "picture": picture.filename if picture else None}


def test_upload() -> None:
    client = Client(api)  # a browser sends it as FormData: multipart/form-data
    png = ("me.png", b"\x89PNG...", "image/png")
    response = client.post("/ajax/avatars", data={"caption": "me"}, files={"avatar": png})
    assert response.json() == {"name": "me.png", "bytes": 7, "caption": "me"}
    text = ("notes.txt", b"hello", "text/plain")
    response = client.post("/ajax/avatars", files={"avatar": text})
    assert response.json()["errors"][0]["code"] == "not_an_image"
    nothing = ("", b"", "application/octet-stream")  # <input type=file> left empty
    response = client.post("/ajax/posts", data={"text": "hi"}, files={"picture": nothing})
    assert response.json() == {"text": "hi", "picture": None}
