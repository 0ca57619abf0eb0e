"""The aiohttp routes that serve the dashboard's files from the package.

Only a fixed list of files is served, read once from the package at registration, so a request
path can never reach anything else on disk. The page needs nothing else from the server: it talks
JSON-RPC over the node's WebSocket at "/", the same one wallets use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

# Served from the node itself so the page works offline and cannot be changed by a third party;
# the policy makes the browser refuse anything the page did not bring with it.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class DashboardAsset:
    """One file of the page: its name in the package and the type it is served with."""

    name: str
    content_type: str


DASHBOARD_ASSETS: tuple[DashboardAsset, ...] = (
    DashboardAsset("index.html", "text/html"),
    DashboardAsset("dashboard.js", "text/javascript"),
    DashboardAsset("dashboard.css", "text/css"),
)


def _read_asset(name: str) -> bytes:
    return resources.files("ordo.dashboard").joinpath("static").joinpath(name).read_bytes()


def _responder(body: bytes, content_type: str) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        # no-cache: after an upgrade and restart the browser must not pair a new page with old JS.
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
        })
    return serve


async def _redirect_to_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/dashboard")


def add_dashboard_routes(app: web.Application) -> None:
    """Register GET /dashboard (the page) and GET /dashboard/<file> for its script and style."""
    for asset in DASHBOARD_ASSETS:
        handler = _responder(_read_asset(asset.name), asset.content_type)
        if asset.name == "index.html":
            app.router.add_get("/dashboard", handler)
            app.router.add_get("/dashboard/index.html", _redirect_to_page)
        else:
            app.router.add_get(f"/dashboard/{asset.name}", handler)
    app.router.add_get("/dashboard/", _redirect_to_page)
