"""Signed checkpoints: Ed25519 over a checkpoint's text (origin, tree size, root hash, time), the
key derived from the deployment's ``log_signing_key`` secret. The public key is published out of
band (``homecoming audit public-key``); its fingerprint is SHA-256 of its raw 32 bytes."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def checkpoint_text(origin: str, tree_size: int, root_hash: bytes, signed_at: datetime) -> bytes:
    """What is signed: four lines, the root in standard base64 (as in C2SP tlog checkpoints),
    the time as UTC seconds."""
    when = signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = base64.b64encode(root_hash).decode()
    return f"{origin}\n{tree_size}\n{root}\n{when}\n".encode()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True)
class LogSigner:
    private_key: Ed25519PrivateKey

    @classmethod
    def from_secret(cls, secret: bytes) -> LogSigner:
        # The secret is any length; the key's 32-byte seed is derived from it, bound to its use.
        seed = hashlib.sha256(b"homecoming log signing key\x00" + secret).digest()
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, text: bytes) -> bytes:
        return self.private_key.sign(text)


def verify(public_key: Ed25519PublicKey, text: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, text)
    except InvalidSignature:
        return False
    return True
