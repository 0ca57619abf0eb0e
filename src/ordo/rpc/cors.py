"""Which web pages may talk to a JSON-RPC server: the browser's Origin, checked by the server.

A browser sends any page's "simple" POST (text/plain body, no preflight) to a local port and
opens WebSockets to it without asking the server first; CORS headers only stop the page from
reading the answer, not the call from running. So a server that signs for its callers (the dev
L1's unlocked accounts answer ``eth_sendTransaction``) must refuse a request whose Origin it
does not allow before dispatching it, and tell the browser nothing. Requests without an Origin
header (curl, web3.py, ethers in Node, other servers) are not from a page and always pass, and
so do pages the server itself serves (the dashboard) when they are reached by an IP address or
``localhost``: a DNS-rebinding page arrives under its own domain name, never under those.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

ANY_ORIGIN = "*"
ALLOWED_METHODS = "POST, GET, OPTIONS"
ALLOWED_HEADERS = "Content-Type"


class CorsConfigError(ValueError):
    """An origin that is not ``*`` or a scheme://host[:port] without a path."""


@dataclass(frozen=True)
class CorsPolicy:
    """``origins``: the allowed Origin values, exactly as browsers send them
    (``https://app.example``), or ``("*",)`` for any page. Empty allows no page."""

    origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for origin in self.origins:
            if origin == ANY_ORIGIN:
                continue
            scheme, separator, rest = origin.partition("://")
            if not separator or scheme not in ("http", "https") or not rest or "/" in rest:
                raise CorsConfigError(
                    f"cors origin {origin!r}: allowed is '*' or scheme://host[:port] with "
                    "scheme http or https and no path")

    def allows(self, origin: str | None, host: str | None = None) -> bool:
        """``host``: the request's Host header, for the same-origin rule."""
        if origin is None:
            return True
        if ANY_ORIGIN in self.origins or origin in self.origins:
            return True
        return host is not None and _is_literal_host(host) and origin in (
            f"http://{host}", f"https://{host}")

    def response_headers(self, origin: str | None, host: str | None = None) -> dict[str, str]:
        """The headers that let an allowed page read the answer: ``*`` when any page may,
        the page's own origin when it is listed, none when it is refused."""
        if ANY_ORIGIN in self.origins:
            allowed = ANY_ORIGIN
        elif origin is not None and self.allows(origin, host):
            allowed = origin
        else:
            return {}
        return {
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Vary": "Origin",
        }


def _is_literal_host(host: str) -> bool:
    """``localhost`` or an IP address, with or without a port."""
    name = host
    if name.startswith("["):
        name = name[1:name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


OPEN_TO_ANY_PAGE = CorsPolicy((ANY_ORIGIN,))
"""The node's default: its RPC reads the chain and relays signed transactions, like a public
endpoint, and dapps in browsers must reach it."""
CLOSED_TO_PAGES = CorsPolicy(())
"""For servers that sign for their callers: no web page may call them unless configured."""


def parse_origins(text: str) -> CorsPolicy:
    """A policy from a comma-separated list (the command-line form); empty allows no page."""
    return CorsPolicy(tuple(part.strip() for part in text.split(",") if part.strip()))
