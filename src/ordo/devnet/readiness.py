"""Is a node serving yet? Asks ``eth_blockNumber`` over JSON-RPC, the first thing a user will."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def block_number(rpc_url: str, timeout: float = 2.0) -> int | None:
    """The node's head number, or None if it does not (yet) answer a well-formed result."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber",
                       "params": []}).encode()
    request = urllib.request.Request(rpc_url, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, str) or not result.startswith("0x"):
        return None
    try:
        return int(result, 16)
    except ValueError:
        return None
