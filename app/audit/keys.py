"""The key that signs checkpoints: kept outside the database, so rewriting the database cannot forge one.

It is AUDIT_SIGNING_KEY (base64 of a 32-byte Ed25519 seed) when set, otherwise the file
`audit_signing_key` in the instance folder (AUDIT_SIGNING_KEY_FILE), created once with mode 0600.
"""
import base64
import binascii
import hashlib
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from app.audit import verify_audit
from app.config import write_once

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

logger = logging.getLogger(__name__)


class SigningKeyError(RuntimeError):
    """The configured signing key cannot be used."""


def _seed_from_text(text: str, where: str) -> bytes:
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        seed = b""
    if len(seed) != 32:
        raise SigningKeyError(f"{where} must hold the base64 of 32 random bytes")
    return seed


def _seed_from_file(path: Path, announce: bool = True) -> tuple[bytes, bool]:
    """Read the key file, creating it once (atomically, mode 0600) when it does not exist.

    Returns the seed and whether this call created the file."""
    created = write_once(path, base64.b64encode(secrets.token_bytes(32)).decode() + "\n")   # another's may win
    if created and announce:
        logger.warning("created the audit signing key %s: back it up apart from the database", path)
    if path.stat().st_mode & 0o077:
        logger.warning("the audit signing key %s is readable by others: chmod 600 it", path)
    return _seed_from_text(path.read_text(), str(path)), created


def _private_key(announce: bool = True) -> tuple["Ed25519PrivateKey", Path | None]:
    # cryptography is imported when a checkpoint is first signed, not by every worker at start (README, Performance)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    config = current_app.config
    cached = current_app.extensions.get("audit_signing_key")
    if cached is not None:
        return cached, None
    created = None
    if config.get("AUDIT_SIGNING_KEY"):
        seed = _seed_from_text(config["AUDIT_SIGNING_KEY"], "AUDIT_SIGNING_KEY")
    else:
        path = Path(config.get("AUDIT_SIGNING_KEY_FILE") or os.path.join(current_app.instance_path, "audit_signing_key"))
        seed, made = _seed_from_file(path, announce)
        created = path if made else None
    key = Ed25519PrivateKey.from_private_bytes(seed)
    current_app.extensions["audit_signing_key"] = key
    return key, created


def ensure_signing_key() -> Path | None:
    """Load the signing key now, creating its file if needed; return the file's path when this call created it.

    For commands that report the creation themselves (the demo puts it in its summary) instead of logging it."""
    return _private_key(announce=False)[1]


def public_key() -> bytes:
    """Return the 32-byte public key that verifies this instance's checkpoints."""
    return _private_key()[0].public_key().public_bytes_raw()


def origin() -> str:
    """Return the log's name (the checkpoints' first line and the key's name)."""
    configured = current_app.config.get("AUDIT_LOG_ORIGIN")
    if configured:
        if any(ch.isspace() or ch == "+" for ch in configured):
            raise SigningKeyError("AUDIT_LOG_ORIGIN may contain neither spaces nor '+'")
        return configured
    # Unique per instance without any setting: two campuses never publish the same log name.
    return "sanaly-urpaq/audit-" + hashlib.sha256(public_key()).hexdigest()[:16]


def verifier_key() -> str:
    """Return the public key as notes name it (name+id+base64), for the /audit page and verifiers."""
    return verify_audit.verifier_key(origin(), public_key())


def sign_checkpoint(size: int, root: bytes) -> str:
    """Return the signed checkpoint note for a tree of `size` events with this root."""
    name, body = origin(), verify_audit.note_body(origin(), size, root)
    signature = _private_key()[0].sign(body.encode("utf-8"))
    return body + "\n" + verify_audit.signature_line(name, public_key(), signature)
