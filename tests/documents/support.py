"""Files and helpers for the documents tests (and the role x endpoint matrix)."""

from __future__ import annotations

import uuid
from typing import Any

MARKER = b"SUNITA-KUMARI-MARKER-7731"
# A minimal PDF whose body carries a marker string (what a scan of the disk must never find).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"% " + MARKER + b"\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
GIF_BYTES = b"GIF89a" + b"\x00" * 64
TEXT_BYTES = b"Name: Sunita Kumari\nVillage: not a PDF at all\n"


def upload_kwargs(
    content: bytes = PDF_BYTES,
    *,
    kind: str = "fir",
    sensitivity: str = "general",
    filename: str = "sunita-kumari-fir.pdf",
    label: str = "application/pdf",
    **fields: str,
) -> dict[str, Any]:
    """Request kwargs for an upload: the file named (and labelled) as a client might."""
    return {
        "files": {"file": (filename, content, label)},
        "data": {"kind": kind, "sensitivity": sensitivity, **fields},
    }


def fixed_boundary(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The same multipart body byte for byte each time (a retry with an Idempotency-Key resends
    the same bytes; the key's fingerprint is of the body)."""
    boundary = "homecoming-test-boundary"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return {**kwargs, "headers": {**kwargs.get("headers", {}), **headers}}


def new_id() -> str:
    return str(uuid.uuid4())
