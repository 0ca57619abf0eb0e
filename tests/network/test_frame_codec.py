from __future__ import annotations

import asyncio
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordo.network.frame_codec import (
    HEADER_SIZE,
    MAX_FRAME_PAYLOAD,
    Frame,
    FrameDecoder,
    FrameError,
    FrameLimits,
    decode_header,
    encode_frame,
)
from ordo.network.message_kind import MessageKind
from ordo.network.stream_frames import PeerClosedError, read_frame


def test_round_trip_of_several_frames_split_at_every_byte() -> None:
    frames = [Frame(MessageKind.TX, b"\x01" * 300), Frame(MessageKind.VOTE, b""),
              Frame(MessageKind.PING, b"12345678")]
    stream = b"".join(encode_frame(f.kind, f.payload) for f in frames)
    decoder = FrameDecoder()
    decoded: list[Frame] = []
    for i in range(len(stream)):
        decoded += decoder.feed(stream[i:i + 1])
    assert decoded == frames
    assert decoder.buffered == 0
    decoder.finish()


def test_header_layout_is_length_then_kind() -> None:
    assert encode_frame(MessageKind.TX, b"abc") == b"\x00\x00\x00\x03\x03abc"


def test_oversized_length_is_refused_from_the_header_alone() -> None:
    header = struct.pack(">IB", 0xFFFFFFFF, MessageKind.TX)
    with pytest.raises(FrameError) as caught:
        decode_header(header)
    assert caught.value.reason == "oversized"
    decoder = FrameDecoder()
    with pytest.raises(FrameError):
        decoder.feed(header + b"x" * 10)
    assert decoder.buffered == 0


def test_per_kind_cap_is_configurable() -> None:
    limits = FrameLimits({MessageKind.TX: 10})
    assert decode_header(struct.pack(">IB", 10, MessageKind.TX), limits) == (MessageKind.TX, 10)
    with pytest.raises(FrameError, match="oversized"):
        decode_header(struct.pack(">IB", 11, MessageKind.TX), limits)
    with pytest.raises(FrameError, match="oversized"):
        encode_frame(MessageKind.TX, b"x" * 11, limits)
    with pytest.raises(ValueError, match="cap"):
        FrameLimits({MessageKind.TX: MAX_FRAME_PAYLOAD + 1})


def test_unknown_kind_is_named() -> None:
    with pytest.raises(FrameError) as caught:
        decode_header(b"\x00\x00\x00\x00\xee")
    assert caught.value.reason == "unknown_kind"


def test_truncated_stream_is_reported_at_finish() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(encode_frame(MessageKind.TX, b"abcdef")[:-2]) == []
    with pytest.raises(FrameError, match="truncated"):
        decoder.finish()
    with pytest.raises(FrameError, match="truncated"):
        decode_header(b"\x00\x00")


def test_decoder_stays_failed_after_an_error() -> None:
    decoder = FrameDecoder()
    with pytest.raises(FrameError):
        decoder.feed(b"\x00\x00\x00\x00\xff")
    with pytest.raises(FrameError):
        decoder.feed(encode_frame(MessageKind.TX, b"ok"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_arbitrary_bytes_raise_only_frame_errors(chunks: list[bytes]) -> None:
    decoder = FrameDecoder(FrameLimits({MessageKind.TX: 32, MessageKind.PROPOSAL: 1000}))
    try:
        for chunk in chunks:
            for frame in decoder.feed(chunk):
                assert isinstance(frame.kind, MessageKind)
        decoder.finish()
    except FrameError as error:
        assert error.reason in {"unknown_kind", "oversized", "truncated"}
    assert decoder.buffered <= HEADER_SIZE + 1000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(MessageKind)), st.binary(max_size=8))),
       st.integers(min_value=1, max_value=7))
def test_any_valid_stream_decodes_back_at_any_chunking(
        frames: list[tuple[MessageKind, bytes]], step: int) -> None:
    stream = b"".join(encode_frame(kind, payload) for kind, payload in frames)
    decoder = FrameDecoder()
    decoded: list[Frame] = []
    for i in range(0, len(stream), step):
        decoded += decoder.feed(stream[i:i + step])
    decoder.finish()
    assert decoded == [Frame(kind, payload) for kind, payload in frames]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_stream_reader_path_raises_only_codec_errors(data: bytes) -> None:
    """The socket path (read_frame) shares decode_header but reads via asyncio: fuzz it too."""

    async def drain() -> list[Frame]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        frames: list[Frame] = []
        limits = FrameLimits({MessageKind.TX: 32})
        while True:
            try:
                frames.append(await read_frame(reader, limits, 1.0))
            except PeerClosedError:
                return frames

    try:
        frames = asyncio.run(drain())
    except FrameError as error:
        assert error.reason in {"unknown_kind", "oversized", "truncated"}
    else:
        assert b"".join(encode_frame(f.kind, f.payload) for f in frames) == data
