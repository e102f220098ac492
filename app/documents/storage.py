"""Where document files are kept: a small interface (put, get, delete by an opaque key) and a local
directory, the default. What is stored is already encrypted (app/documents/service.py); a key is
the document's uuid and nothing else, so neither a key nor a file name says anything about the
person (the client's original file name is never kept: it may name her)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

import anyio.to_thread

# A key is a lowercase uuid: it can never climb out of the directory or carry a name.
_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class StorageError(Exception):
    """The store cannot do what was asked (no such key, or the key is malformed)."""


class DocumentStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, all or nothing."""

    async def get(self, key: str) -> bytes:
        """What is stored under ``key``; ``StorageError`` when nothing is."""

    async def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens when it is absent."""


class LocalDirectoryStorage:
    """Files in one directory (mode 0700), each 0600, written to a temporary name and renamed, so
    a crash leaves the old file or the new one, never half of either. File I/O runs in a worker
    thread: a 10 MiB write must not stall the event loop."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise StorageError("a storage key is a document uuid")
        return self.root / key

    def _put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = self.root / f".{key}.{secrets.token_hex(4)}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def _get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError("nothing is stored under this key") from exc

    def _delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def put(self, key: str, data: bytes) -> None:
        await anyio.to_thread.run_sync(self._put, key, data)

    async def get(self, key: str) -> bytes:
        return await anyio.to_thread.run_sync(self._get, key)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, key)
