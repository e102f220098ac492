"""What a file is, decided from its bytes, never from the name or the Content-Type the client sent
(a label costs nothing to fake). Only PDF, JPEG and PNG are kept: what case papers and photos are,
and nothing a browser or viewer would run.

The signatures come from ``puremagic``: pure Python, no libmagic to install on the server, and it
gives every candidate with its offset and confidence, so a file is accepted only when the best
guess itself is on the list and its signature starts the file (``filetype`` gives one answer only,
and ``python-magic`` needs the system library).
"""

from __future__ import annotations

import puremagic

# Media type -> the extension a download is named with.
ALLOWED_MEDIA_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}


def sniff(content: bytes) -> str | None:
    """The allowed media type ``content`` is, or None when it is none of them (or unknown)."""
    if not content:
        return None
    try:
        matches = puremagic.magic_string(content)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = max(m.confidence for m in matches)
    # A PDF also matches as FDF at the same confidence: any of the best guesses may be the one.
    for match in matches:
        if match.confidence == best and match.offset == 0 and match.mime_type in ALLOWED_MEDIA_TYPES:
            return str(match.mime_type)
    return None
