"""Files of attachment fields: bytes on disk, metadata in the record's data.

A file is stored as ``<instance>/uploads/<workspace_id>/<uuid4 hex>`` — never under the
name the user gave it. The record's value holds ``{id, name, size, content_type}``; there
is no table: a download is allowed only when the id is one of the values stored in that
record's attachment fields (the caller checks workspace, form and record through the
records service, :func:`find` checks field and id).
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from formwork.services.errors import NotFound

NAME_MAX = 200
CONTENT_TYPE_MAX = 100
_CHUNK = 64 * 1024
_ID = re.compile(r"[0-9a-f]{32}")
_CONTENT_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")


class AttachmentRejected(Exception):
    """An upload that cannot be stored (empty or too large); ``message`` says why."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def upload_root() -> Path:
    return Path(current_app.instance_path) / "uploads"


def valid_id(file_id: Any) -> bool:
    return isinstance(file_id, str) and _ID.fullmatch(file_id) is not None


def path_for(workspace_id: int, file_id: str) -> Path:
    """Where a stored file lives; only well-formed ids ever become a path."""
    if not valid_id(file_id):
        raise NotFound(_l("This file does not exist."))
    return upload_root() / str(int(workspace_id)) / file_id


def clean_name(name: Any) -> str:
    """The file name to show: basename only, no control characters, at most 200 chars."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    if text in ("", ".", ".."):
        text = "file"
    return text[:NAME_MAX]


def clean_content_type(value: Any) -> str:
    """The upload's content type, kept only as a label (never used to serve the file)."""
    text = str(value or "").split(";", 1)[0].strip().lower()
    if not _CONTENT_TYPE.fullmatch(text) or len(text) > CONTENT_TYPE_MAX:
        return "application/octet-stream"
    return text


def store(workspace_id: int, stream: IO[bytes], filename: Any, content_type: Any) -> dict[str, Any]:
    """Save one upload; return its ``{id, name, size, content_type}``.

    Raises :class:`AttachmentRejected` for an empty file or one over
    ``ATTACHMENT_MAX_BYTES``; nothing is left on disk then.
    """
    limit = max_bytes()
    file_id = uuid.uuid4().hex
    target = path_for(workspace_id, file_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{file_id}.part")
    size = 0
    try:
        with open(temp, "xb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise AttachmentRejected(
                        _l(
                            "%(name)s is larger than the %(limit)s allowed.",
                            name=clean_name(filename),
                            limit=human_size(limit),
                        )
                    )
                out.write(chunk)
        if size == 0:
            raise AttachmentRejected(_l("%(name)s is empty.", name=clean_name(filename)))
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return {
        "id": file_id,
        "name": clean_name(filename),
        "size": size,
        "content_type": clean_content_type(content_type),
    }


def discard(workspace_id: int, items: Iterable[Mapping[str, Any]]) -> None:
    """Delete stored files (uploads of a save that did not happen)."""
    for item in items:
        if valid_id(item.get("id")):
            path_for(workspace_id, str(item["id"])).unlink(missing_ok=True)


def find(data: Mapping[str, Any], keys: Iterable[str], file_id: str) -> dict[str, Any]:
    """The metadata of ``file_id`` among the values of attachment fields ``keys`` of a
    record's ``data``; NotFound if no such value is stored."""
    if valid_id(file_id):
        for key in keys:
            value = data.get(key)
            for item in value if isinstance(value, list) else ():
                if isinstance(item, Mapping) and item.get("id") == file_id:
                    return dict(item)
    raise NotFound(_l("This file does not exist."))


def human_size(size: Any) -> str:
    """Bytes as ``12 B``, ``3.4 KB``, ``1.2 MB``."""
    amount = float(size) if isinstance(size, int | float) and not isinstance(size, bool) else 0.0
    for unit in ("B", "KB", "MB"):
        if amount < 1024 or unit == "MB":
            return f"{int(amount)} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"  # pragma: no cover - the loop always returns
