"""Field encryption and keyed hashes for sensitive personal information (PIPL).

* ``encrypt`` / ``decrypt``: Fernet (AES-128-CBC + HMAC-SHA256). ``FIELD_ENCRYPTION_KEY``
  may list several keys, newest first; values encrypted with an older key stay
  readable and ``rotate`` re-encrypts them with the newest.
* ``keyed_hash``: HMAC-SHA256 under ``FIELD_HASH_KEY`` for lookups and uniqueness
  (one ID number, one account) without storing the clear value.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class _Keys:
    def __init__(self, encryption_keys: str, hash_key: bytes):
        keys = [k.strip() for k in encryption_keys.split(",") if k.strip()]
        self.fernet = MultiFernet([Fernet(k) for k in keys])
        self.hash_key = hash_key


def init_app(app) -> None:
    enc = app.config.get("FIELD_ENCRYPTION_KEY")
    if not enc:
        raise RuntimeError("FIELD_ENCRYPTION_KEY is not set")
    hash_key = app.config.get("FIELD_HASH_KEY")
    if not hash_key:
        raise RuntimeError("FIELD_HASH_KEY is not set")
    app.extensions["portal_crypto"] = _Keys(enc, hash_key.encode())


def _keys() -> _Keys:
    return current_app.extensions["portal_crypto"]


def encrypt(value: str) -> str:
    return _keys().fernet.encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _keys().fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        # A wrong or missing key is an operations error, not a user error: fail loudly.
        current_app.logger.error("cannot decrypt a sensitive field: wrong FIELD_ENCRYPTION_KEY?")
        raise


def rotate(token: str) -> str:
    return _keys().fernet.rotate(token.encode("ascii")).decode("ascii")


def keyed_hash(value: str, *, purpose: str) -> str:
    """A stable HMAC of ``value``; ``purpose`` separates hashes of different kinds of data."""
    mac = hmac.new(_keys().hash_key, f"{purpose}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()
