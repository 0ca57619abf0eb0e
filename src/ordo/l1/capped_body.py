"""Read an HTTP response body with a cap, so an L1 or beacon endpoint (which may be anyone's)
cannot make the node hold gigabytes in memory: the declared length is refused before reading,
and an undeclared or lying one is cut off as soon as it passes the cap."""

from __future__ import annotations

import aiohttp

READ_CHUNK = 64 * 1024


class ResponseTooLarge(ValueError):
    """The body is longer than the cap; the message names the cap and the source."""


async def read_capped(response: aiohttp.ClientResponse, limit: int, source: str) -> bytes:
    declared = response.content_length
    if declared is not None and declared > limit:
        raise ResponseTooLarge(f"{source}: response of {declared} bytes exceeds the "
                               f"{limit}-byte cap")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await response.content.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"{source}: response exceeds the {limit}-byte cap")
        chunks.append(chunk)
