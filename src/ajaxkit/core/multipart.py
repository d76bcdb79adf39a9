"""``multipart/form-data`` bodies (RFC 7578), read in time linear in their size.

The standard library's email parser, which read these bodies before, spends
tens of microseconds on every header parameter and parses a header again on
every lookup, so a stranger's 1 MiB body of ``; filename*0*=a`` parameters
kept a worker busy for over two minutes.  Here the parts are found with
``bytes.find``, the three headers a form part may use are picked out by one
regular expression, and a header may carry at most :data:`MAX_PARAMETERS`
parameters: every step is linear, so a body costs about what reading it
costs.

What a part may hold is what browsers send, plus what the email parser
accepted: quoted or bare parameter values (``\\"`` escapes), RFC 2231
values (``filename*=UTF-8''r%C3%A9sum%C3%A9.pdf``, preferred to a plain
``filename`` as RFC 6266 asks), folded header lines, LF line ends, a
``charset`` on a field's ``Content-Type`` and a ``base64`` or
``quoted-printable`` transfer encoding.  RFC 2231 continuations
(``filename*0=``), which no browser sends, are not read.
"""

from __future__ import annotations

import base64
import binascii
import encodings
import encodings.aliases
import functools
import pkgutil
import re
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from ajaxkit.exceptions import ClientError, MalformedBody
from ajaxkit.types import MultiDict, UploadedFile

__all__ = ["MAX_PARAMETERS", "body_parts", "parse_multipart"]

#: The most parameters one part header (or the body's Content-Type) may carry.
#: A form part needs three (``name``, ``filename``, ``filename*``).
MAX_PARAMETERS = 16

Parsed = tuple[MultiDict, dict[str, list[UploadedFile]]]

# What may follow a boundary for it to be a delimiter line: "--" (the close
# delimiter) or padding and a line break (RFC 2046 §5.1.1).
_DELIMITER_END = re.compile(rb"--|[ \t]*\r?\n")
# The end of a part's headers: a blank line.
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
# A line break followed by whitespace continues the header line before it.
_FOLD = re.compile(rb"\r?\n[ \t]+")
# Greedy ``(.*)``: a lazy value followed by optional padding backtracks
# quadratically on a long run of spaces.
_HEADER = re.compile(
    rb"^(content-disposition|content-type|content-transfer-encoding)[ \t]*:(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
# One ``; name=value`` parameter; the value quoted (maybe unterminated) or bare.
_PARAMETER = re.compile(r';\s*([^\s;="]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"?|[^;"]*))?')
_ESCAPE = re.compile(r"\\(.)")
#: The longest charset name looked up; the standard library's longest is 24.
_MAX_CHARSET = 40
#: Codecs whose decoder takes time quadratic in the text: 300 kB of ``9``
#: named ``charset=punycode`` took 19 seconds of CPU.  No browser names them.
_QUADRATIC_CODECS = frozenset({"punycode", "idna"})


def parse_multipart(content_type: str, raw: bytes, max_parts: int | None = None) -> Parsed:
    """The fields and files of a ``multipart/form-data`` body.

    Args:
        content_type: the body's ``Content-Type`` (its ``boundary``).
        raw: the body.
        max_parts: the most parts (fields and files) read; ``None``: any.

    Raises:
        MalformedBody: no boundary, no delimiters, a part without a name,
            text that is not Unicode, or a header with too many parameters.
        ClientError: more than ``max_parts`` parts (the ``max_params`` limit,
            rule N2), raised before the part over it is read.
    """
    fields: list[tuple[str, str]] = []
    files: dict[str, list[UploadedFile]] = {}
    for count, part in enumerate(body_parts(content_type, raw), start=1):
        if max_parts is not None and count > max_parts:
            raise ClientError(
                f"The body has more than {max_parts} parts; at most {max_parts} (max_params)."
            )
        _collect(part, fields, files)
    return MultiDict(fields), files


def body_parts(content_type: str, raw: bytes) -> Iterator[bytes]:
    """Each part of a multipart body as sent (its header lines and content), in order.

    The boundary between them is left out: a client makes up a new one for
    every request it sends (a browser does for each ``FormData`` body), so
    it tells nothing about what the body holds.  The boundary is checked
    at once; the parts are found as they are read.

    Raises:
        MalformedBody: no boundary, a ``Content-Type`` with too many
            parameters, no delimiters, or no closing delimiter.
    """
    boundary = parameters(content_type)[1].get("boundary", "")
    if not boundary:
        raise MalformedBody("The multipart body has no boundary.")
    return _parts(raw, b"--" + boundary.encode("latin-1", "replace"))


def _parts(raw: bytes, dash: bytes) -> Iterator[bytes]:
    """Each part's bytes, between one delimiter line and the next."""
    # A line break in front makes a delimiter at the very start like any other.
    body = b"\r\n" + raw
    found = _delimiter(body, dash, 0)
    if found is None:
        raise MalformedBody("The multipart body has no boundary line.")
    _, start, closes = found
    while not closes:
        found = _delimiter(body, dash, start)
        if found is None:
            raise MalformedBody("The multipart body does not end with its closing boundary.")
        end, next_start, closes = found
        yield body[start:end]
        start = next_start


def _delimiter(body: bytes, dash: bytes, start: int) -> tuple[int, int, bool] | None:
    """The next delimiter line from ``start``: where the content before it ends,
    where the next part begins, and whether it closes the body."""
    needle = b"\n" + dash
    at = body.find(needle, start)
    while at >= 0:
        after = at + len(needle)
        end = at - 1 if body[at - 1] == 0x0D else at
        match = _DELIMITER_END.match(body, after)
        if match is not None:
            return end, match.end(), match.group() == b"--"
        # The boundary was only the start of a longer line: search on past
        # it (never from ``at + 1``, which would rescan and be quadratic).
        at = body.find(needle, after)
    return None


def _collect(
    part: bytes, fields: list[tuple[str, str]], files: dict[str, list[UploadedFile]]
) -> None:
    head, data = _split_part(part)
    headers = _headers(head)
    disposition = parameters(headers.get("content-disposition", ""))[1]
    name = _parameter(disposition, "name")
    if name is None:
        raise MalformedBody("A multipart part has no field name.")
    media_type, type_params = parameters(headers.get("content-type", "text/plain"))
    data = _decoded(data, headers.get("content-transfer-encoding", "").strip().lower())
    filename = _parameter(disposition, "filename")
    if filename is None:
        charset = type_params.get("charset", "utf-8")
        fields.append((name, _field_text(name, data, charset)))
        return
    if not filename.strip():
        # A file input with nothing chosen: browsers send the part with an
        # empty filename; it is no file (rule B13), as Django and FastAPI read it.
        return
    upload = UploadedFile(filename.strip(), media_type or "text/plain", data)
    files.setdefault(name, []).append(upload)


def _split_part(part: bytes) -> tuple[bytes, bytes]:
    """A part's header block and its content."""
    if part.startswith((b"\r\n", b"\n")):  # no headers at all
        return b"", part[part.index(b"\n") + 1 :]
    blank = _BLANK_LINE.search(part)
    if blank is None:  # headers only, as the email parser read it: no content
        return part, b""
    return part[: blank.start()], part[blank.end() :]


def _headers(head: bytes) -> dict[str, str]:
    """The headers a form part may use, by lower-case name (the first of each)."""
    found: dict[str, str] = {}
    for match in _HEADER.finditer(_FOLD.sub(b" ", head)):
        name = match.group(1).decode("ascii").lower()
        # Browsers send names in UTF-8; a byte that is not is replaced, as
        # the email parser did, rather than refusing the upload.
        found.setdefault(name, match.group(2).decode("utf-8", "replace").strip())
    return found


def parameters(value: str) -> tuple[str, dict[str, str]]:
    """``"form-data; name=\\"a\\""`` → ``("form-data", {"name": "a"})``.

    Names are lower-cased; the first of a repeated name counts.

    Raises:
        MalformedBody: more than :data:`MAX_PARAMETERS` parameters.
    """
    main = value.partition(";")[0].strip().lower()
    found: dict[str, str] = {}
    for count, match in enumerate(_PARAMETER.finditer(value), start=1):
        if count > MAX_PARAMETERS:
            raise MalformedBody(f"A multipart header has more than {MAX_PARAMETERS} parameters.")
        raw = match.group(2)
        if raw is not None:
            found.setdefault(match.group(1).lower(), _unquoted(raw.strip()))
    return main, found


def _unquoted(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    inner = raw[1:-1] if len(raw) > 1 and raw.endswith('"') else raw[1:]
    # split() leaves the text between escapes and each escaped character,
    # in order, so joining them unescapes; done in C, where sub()'s
    # template would cost a Python call per escape (0.4 s for a hostile MB).
    return "".join(_ESCAPE.split(inner))


def _parameter(params: dict[str, str], name: str) -> str | None:
    """``name``'s value, its RFC 2231 form (``name*=charset'lang'text``) first."""
    extended = params.get(name + "*")
    if extended is None:
        return params.get(name)
    charset, quote, rest = extended.partition("'")
    _, quote_again, encoded = rest.partition("'")
    if not (quote and quote_again):  # not an RFC 2231 value: taken as it is
        return extended
    raw = unquote_to_bytes(encoded)
    codec = _codec(charset) if charset else "ascii"
    try:
        text = raw.decode(codec or "ascii", "replace")
    except LookupError:  # a codec that is not a text encoding (zlib_codec)
        text = raw.decode("ascii", "replace")
    # Some codecs (unicode_escape) yield lone surrogates, which no
    # response could ever encode.
    return _unicode(text, "A multipart part header is not valid text.")


def _decoded(data: bytes, encoding: str) -> bytes:
    """The content under its ``Content-Transfer-Encoding`` (none: as sent)."""
    try:
        if encoding == "base64":
            return base64.b64decode(data)
        if encoding == "quoted-printable":
            return binascii.a2b_qp(data)
    except (binascii.Error, ValueError) as exc:
        raise MalformedBody(f"A multipart part is not valid {encoding}.") from exc
    return data


def _field_text(name: str, data: bytes, charset: str) -> str:
    codec = _codec(charset)
    if codec is None:
        raise MalformedBody(f"The form field {name!r} is not valid text.")
    try:
        text = data.decode(codec)
    except (UnicodeError, LookupError) as exc:
        raise MalformedBody(f"The form field {name!r} is not valid text.") from exc
    return _unicode(text, f"The form field {name!r} is not valid text.")


def _codec(charset: str) -> str | None:
    """The standard library codec that decodes ``charset``; ``None`` for a
    name it does not know.

    A stranger's name is never handed to the codec registry: Python's
    encodings package remembers every name it failed to find, for the life
    of the process, so fresh names (a thousand parts of a kilobyte each,
    per request) grew the process without bound.  The codec's own name is
    what is decoded with, so every spelling of one charset is one entry in
    the registry's caches.

    Raises:
        MalformedBody: a codec that decodes in quadratic time.
    """
    if len(charset) > _MAX_CHARSET:
        return None
    name = encodings.normalize_encoding(charset.strip().lower()).replace(".", "_")
    codec = encodings.aliases.aliases.get(name, name)
    if codec in _QUADRATIC_CODECS:
        raise MalformedBody(f"A multipart part names the charset {codec!r}, which is not accepted.")
    return codec if codec in _codec_modules() else None


@functools.cache
def _codec_modules() -> frozenset[str]:
    """The names of the standard library's codec modules."""
    found = {module.name for module in pkgutil.iter_modules(encodings.__path__)}
    return frozenset(found - {"aliases"})


def _unicode(text: str, problem: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeError as exc:
        raise MalformedBody(problem) from exc
    return text
