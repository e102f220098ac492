"""Encryption at rest for identity and other sensitive fields (AES-256-GCM, ``cryptography``), and
keyed blind indexes (HMAC-SHA256) for exact-match search.

A stored value is ``v1.<key id>.<base64url(nonce || ciphertext || tag)>``. The row and column are
bound as associated data, so a ciphertext copied into another row or column fails to decrypt
(fail closed). Keys rotate: new writes use the active key, every listed key still decrypts, and
``homecoming keys rotate`` re-encrypts old rows so a retired key can be removed. Blind-index keys
rotate separately (``--blind-index``), since recomputing indexes needs the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class VaultError(Exception):
    """A value cannot be decrypted: wrong row, tampered, or its key is not configured."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_keyring(spec: str) -> dict[str, bytes]:
    """``kid:base64key,kid2:base64key`` -> {kid: 32-byte key}."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kid, sep, encoded = item.partition(":")
        if not sep or not kid.isalnum():
            raise ValueError("each key is <alphanumeric id>:<base64 of 32 bytes>")
        try:
            key = _unb64(encoded)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"key {kid} is not base64") from exc
        if len(key) != KEY_BYTES:
            raise ValueError(f"key {kid} must be {KEY_BYTES} bytes")
        keys[kid] = key
    if not keys:
        raise ValueError("no keys")
    return keys


def new_key_spec(kid: str) -> str:
    return f"{kid}:{_b64(os.urandom(KEY_BYTES))}"


@dataclass(frozen=True)
class Cipher:
    keys: Mapping[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError("the active key is not in the keyring")

    @staticmethod
    def context(table: str, row_id: object, column: str) -> bytes:
        return f"{table}|{row_id}|{column}".encode()

    def encrypt(self, plaintext: str, context: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext.encode(), context)
        return f"{VERSION}.{self.active}.{_b64(nonce + sealed)}"

    def key_id(self, stored: str) -> str:
        parts = stored.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise VaultError("not a vault value")
        return parts[1]

    def decrypt(self, stored: str, context: bytes) -> str:
        kid = self.key_id(stored)
        key = self.keys.get(kid)
        if key is None:
            raise VaultError("the value's key is not configured")
        try:
            raw = _unb64(stored.split(".")[2])
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise VaultError("the value does not decrypt in this place") from exc
        return plain.decode()

    def needs_rotation(self, stored: str) -> bool:
        return self.key_id(stored) != self.active

    # Files (documents): the same keyring and active key, as bytes. ``v1.<key id>.`` then
    # nonce || ciphertext || tag: the stored file says which key sealed it, so it decrypts
    # whatever its database row says, and rotation can tell what it has left to do.

    def encrypt_bytes(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext, context)
        return f"{VERSION}.{self.active}.".encode() + nonce + sealed

    def bytes_key_id(self, stored: bytes) -> str:
        version, sep, rest = stored.partition(b".")
        kid, sep2, _ = rest.partition(b".")
        if not sep or not sep2 or version != VERSION.encode() or not kid.isalnum():
            raise VaultError("not a vault file")
        return kid.decode()

    def decrypt_bytes(self, stored: bytes, context: bytes) -> bytes:
        kid = self.bytes_key_id(stored)
        key = self.keys.get(kid)
        if key is None:
            raise VaultError("the file's key is not configured")
        raw = stored[len(VERSION) + len(kid) + 2 :]
        try:
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)
        except (InvalidTag, ValueError) as exc:
            raise VaultError("the file does not decrypt in this place") from exc


@dataclass(frozen=True)
class BlindIndexer:
    keys: Mapping[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError("the active blind-index key is not in the keyring")

    def digest(self, kind: str, normalised: str, kid: str | None = None) -> str:
        key = self.keys[kid or self.active]
        return hmac.new(key, f"{kind}\x00{normalised}".encode(), hashlib.sha256).hexdigest()
