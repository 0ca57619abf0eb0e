"""Sealing and opening frames after the handshake: one ChaCha20-Poly1305 key per direction and a
counter nonce, so every frame is secret, authentic, and in order.

The 5-byte frame header (length, kind) stays in the clear so a frame is still checked against
its kind's cap before its body is read; it is the associated data of the seal, so changing the
length or kind makes the frame fail to open. The counter is never sent: a dropped, repeated or
reordered frame opens under the wrong nonce and fails like a forged one.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from ordo.network.frame_codec import FrameError, FrameLimits, frame_header
from ordo.network.message_kind import MessageKind
from ordo.network.transcript import KEY_SIZE, MAX_NONCE, TAG_SIZE, aead_nonce


class NonceExhaustedError(Exception):
    """The direction's counter reached its last value; the session must end (no rekeying)."""


class CipherState:
    """One direction of a session. Mutable by nature: each seal or open advances the counter."""

    def __init__(self, key: bytes, counter: int = 0, limit: int = MAX_NONCE) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"transport key must be {KEY_SIZE} bytes")
        if not 0 <= counter <= limit <= MAX_NONCE:
            raise ValueError("counter must be in [0, limit] and limit at most 2**64 - 1")
        self._aead = ChaCha20Poly1305(key)
        self.counter = counter
        self._limit = limit

    def _next_nonce(self) -> bytes:
        if self.counter >= self._limit:
            raise NonceExhaustedError(f"counter reached {self.counter}")
        nonce = aead_nonce(self.counter)
        self.counter += 1
        return nonce

    def seal(self, associated_data: bytes, plaintext: bytes) -> bytes:
        return self._aead.encrypt(self._next_nonce(), plaintext, associated_data)

    def open(self, associated_data: bytes, ciphertext: bytes) -> bytes:
        """Plaintext, or FrameError('frame_auth_failed'); the counter advances either way, since
        a session whose frame failed is closed and never reads again."""
        nonce = self._next_nonce()
        try:
            return self._aead.decrypt(nonce, ciphertext, associated_data)
        except InvalidTag as error:
            raise FrameError("frame_auth_failed", "frame failed authentication (tampered, "
                                                  "reordered or forged)") from error


def seal_frame(cipher: CipherState, kind: MessageKind, payload: bytes,
               limits: FrameLimits | None = None) -> bytes:
    """Header plus sealed body. With ``limits``, an oversized payload raises FrameError."""
    if limits is not None and len(payload) > limits.cap(kind):
        raise FrameError("oversized", f"{kind.name} payload of {len(payload)} bytes exceeds the "
                                      f"cap of {limits.cap(kind)}")
    header = frame_header(len(payload) + TAG_SIZE, kind)
    return header + cipher.seal(header, payload)


def open_frame(cipher: CipherState, kind: MessageKind, body: bytes) -> bytes:
    """The payload of a sealed frame whose header announced ``kind`` and ``len(body)``."""
    if len(body) < TAG_SIZE:
        raise FrameError("frame_auth_failed", f"sealed frame of {len(body)} bytes has no tag")
    return cipher.open(frame_header(len(body), kind), body)
