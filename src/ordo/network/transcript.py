"""The handshake's symmetric state, after Noise (revision 34, section 5.2), as pure functions.

A running transcript hash ``h`` covers every handshake byte sent so far; a chaining key ``ck``
absorbs each Diffie-Hellman result through HKDF-SHA256; handshake payloads are sealed with
ChaCha20-Poly1305 under the current key with ``h`` as associated data, so a changed byte anywhere
earlier in the handshake makes every later message fail to open. All primitives come from the
``cryptography`` library; this module only composes them the way Noise specifies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_SIZE = 32
TAG_SIZE = 16
MAX_NONCE = 2**64 - 1
"""Noise reserves the all-ones counter; a cipher that reaches it must not be used again."""


class TranscriptError(Exception):
    """A sealed handshake payload did not open: the transcripts of the two sides differ."""


def hkdf2(chaining_key: bytes, input_key_material: bytes) -> tuple[bytes, bytes]:
    """Noise's HKDF with two outputs: HKDF-SHA256 with ``ck`` as salt and empty info."""
    output = HKDF(algorithm=hashes.SHA256(), length=2 * KEY_SIZE, salt=chaining_key,
                  info=b"").derive(input_key_material)
    return output[:KEY_SIZE], output[KEY_SIZE:]


def aead_nonce(counter: int) -> bytes:
    """Noise's ChaChaPoly nonce: 32 zero bits, then the 64-bit counter little-endian."""
    return b"\x00" * 4 + counter.to_bytes(8, "little")


@dataclass(frozen=True)
class Transcript:
    chaining_key: bytes
    hash: bytes
    key: bytes | None = None
    nonce: int = 0


def start(protocol_name: bytes, prologue: bytes) -> Transcript:
    """InitializeSymmetric(protocol_name) followed by MixHash(prologue)."""
    if len(protocol_name) <= 32:
        initial = protocol_name.ljust(32, b"\x00")
    else:
        initial = hashlib.sha256(protocol_name).digest()
    return mix_hash(Transcript(chaining_key=initial, hash=initial), prologue)


def mix_hash(state: Transcript, data: bytes) -> Transcript:
    return replace(state, hash=hashlib.sha256(state.hash + data).digest())


def mix_key(state: Transcript, input_key_material: bytes) -> Transcript:
    chaining_key, key = hkdf2(state.chaining_key, input_key_material)
    return replace(state, chaining_key=chaining_key, key=key, nonce=0)


def encrypt_and_hash(state: Transcript, plaintext: bytes) -> tuple[Transcript, bytes]:
    if state.key is None:
        raise ValueError("no key mixed in yet: a handshake payload would travel in the clear")
    ciphertext = ChaCha20Poly1305(state.key).encrypt(aead_nonce(state.nonce), plaintext,
                                                     state.hash)
    return mix_hash(replace(state, nonce=state.nonce + 1), ciphertext), ciphertext


def decrypt_and_hash(state: Transcript, ciphertext: bytes) -> tuple[Transcript, bytes]:
    if state.key is None:
        raise ValueError("no key mixed in yet")
    try:
        plaintext = ChaCha20Poly1305(state.key).decrypt(aead_nonce(state.nonce), ciphertext,
                                                        state.hash)
    except InvalidTag as error:
        raise TranscriptError("sealed handshake payload failed authentication") from error
    return mix_hash(replace(state, nonce=state.nonce + 1), ciphertext), plaintext


def split(state: Transcript) -> tuple[bytes, bytes]:
    """The two transport keys: initiator-to-responder first, then responder-to-initiator."""
    return hkdf2(state.chaining_key, b"")
