"""Blobs sealed with a streamed, chunked AEAD (AES-256-GCM), so neither writing nor reading ever
holds a whole file in memory.

Layout of a blob::

    MAGIC (4 bytes) | nonce prefix (8 random bytes) | chunk 0 | chunk 1 | … | last chunk

Each chunk is at most ``CHUNK`` bytes of plaintext sealed by AES-GCM (ciphertext + 16-byte tag).
Chunk *i* uses the nonce ``prefix ‖ i`` (4 bytes, big-endian), and its associated data names the
blob's header, its role (the file itself or its thumbnail), its index and whether it is the last
one. So a flipped byte, a chunk moved elsewhere, a blob cut at a chunk boundary (the new last
chunk was not sealed as last), extra chunks after the last one, or a thumbnail passed off as the
original all fail to open: ``BlobCorrupted``, never silent garbage.

Every file has its own random data key (``new_data_key``); the key is wrapped with the field
encryption key (``core.crypto``, Fernet) and kept in the file's row, so rotating
``FIELD_ENCRYPTION_KEY`` re-wraps keys (``crypto.rotate``) without touching any blob.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.core import crypto

MAGIC = b"PFB1"  # portal file blob, format 1
PREFIX_BYTES = 8
HEADER_BYTES = len(MAGIC) + PREFIX_BYTES
CHUNK = 64 * 1024
TAG = 16
SEALED_CHUNK = CHUNK + TAG
MAX_CHUNKS = 2**32  # the counter is 4 bytes (256 TiB per blob: never reached)

ROLE_FILE = b"F"
ROLE_THUMBNAIL = b"T"


class BlobCorrupted(Exception):
    """A blob that does not open with its key: tampered with, truncated, or not ours."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(key: bytes) -> str:
    return crypto.encrypt(base64.b64encode(key).decode("ascii"))


def unwrap_key(wrapped: str) -> bytes:
    return base64.b64decode(crypto.decrypt(wrapped))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _associated_data(header: bytes, role: bytes, index: int, last: bool) -> bytes:
    return header + role + struct.pack(">I?", index, last)


class SealingWriter(io.RawIOBase):
    """A write-only file object: what is written is sealed chunk by chunk into ``out``.

    Also counts the plaintext and hashes it (SHA-256), so the caller learns both without a
    second pass. Call ``finish()`` (or ``close()``) once: it seals the last chunk.
    """

    def __init__(self, out: BinaryIO, key: bytes, role: bytes):
        super().__init__()
        self._out = out
        self._aead = AESGCM(key)
        self._role = role
        self._prefix = os.urandom(PREFIX_BYTES)
        self._header = MAGIC + self._prefix
        self._buffer = bytearray()
        self._index = 0
        self._sha = hashlib.sha256()
        self.size = 0
        self.finished = False
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.finished:
            raise ValueError("write to a finished blob")
        view = memoryview(data).cast("B")
        self._buffer += view
        self._sha.update(view)
        self.size += len(view)
        # Keep the tail: the last chunk is only known at finish(), and it must be sealed as last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(view)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("blob too large")
        aad = _associated_data(self._header, self._role, self._index, last)
        self._out.write(self._aead.encrypt(_nonce(self._prefix, self._index), chunk, aad))
        self._index += 1

    def finish(self) -> None:
        if not self.finished:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.finished = True

    def close(self) -> None:
        if not self.closed:
            self.finish()
        super().close()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def _read_exactly(src: BinaryIO, n: int) -> bytes:
    parts = []
    while n > 0:
        part = src.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def open_sealed(src: BinaryIO, key: bytes, role: bytes) -> Iterator[bytes]:
    """The plaintext of a sealed blob, chunk by chunk; ``BlobCorrupted`` as soon as a chunk fails.

    A chunk is handed out only once it has been authenticated, and the last one only once the
    reader has seen that nothing follows it.
    """
    header = _read_exactly(src, HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise BlobCorrupted("not a sealed blob")
    prefix = header[len(MAGIC) :]
    aead = AESGCM(key)
    index = 0
    current = _read_exactly(src, SEALED_CHUNK)
    while True:
        if len(current) < TAG:
            raise BlobCorrupted("blob cut short")
        following = _read_exactly(src, SEALED_CHUNK) if len(current) == SEALED_CHUNK else b""
        last = not following
        try:
            plain = aead.decrypt(_nonce(prefix, index), current, _associated_data(header, role, index, last))
        except InvalidTag:
            raise BlobCorrupted(f"chunk {index} does not authenticate") from None
        yield plain
        if last:
            return
        current = following
        index += 1
