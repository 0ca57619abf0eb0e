"""The HTTP + WebSocket shell around the dispatcher: one port, path "/", plus GET /health.

Pages served beside the RPC (the node's dashboard) are registered by whoever runs the server
(``pages``): rpc/ is below the packages that own them (docs/design.md §2, the layers).

HTTP POST carries JSON-RPC requests and batches; a GET with an Upgrade header becomes a
WebSocket that also takes subscriptions. Bodies are read with a hard size cap before parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ordo.rpc.backend import RpcBackend
from ordo.rpc.block_methods import BLOCK_METHODS
from ordo.rpc.context import Handler, MethodTable, RpcContext, Session
from ordo.rpc.cors import OPEN_TO_ANY_PAGE, CorsPolicy
from ordo.rpc.dispatch import Dispatcher, encode, error_response
from ordo.rpc.errors import INVALID_REQUEST, RpcError
from ordo.rpc.event_feed import EventFeed
from ordo.rpc.fee_methods import FEE_METHODS
from ordo.rpc.filters import Clock, FilterRegistry
from ordo.rpc.limits import RpcLimits
from ordo.rpc.log_methods import LOG_METHODS
from ordo.rpc.node_methods import NODE_METHODS
from ordo.rpc.output_methods import OUTPUT_METHODS
from ordo.rpc.raw_transaction_methods import RAW_TRANSACTION_METHODS
from ordo.rpc.simulation_methods import SIMULATION_METHODS
from ordo.rpc.state_methods import STATE_METHODS
from ordo.rpc.subscription_methods import SUBSCRIPTION_METHODS
from ordo.rpc.trace_data_methods import TRACE_DATA_METHODS
from ordo.rpc.websocket import WebSocketConnection

ALL_METHODS: MethodTable = {
    **NODE_METHODS, **STATE_METHODS, **BLOCK_METHODS, **FEE_METHODS, **LOG_METHODS,
    **SUBSCRIPTION_METHODS, **RAW_TRANSACTION_METHODS, **SIMULATION_METHODS, **OUTPUT_METHODS,
    **TRACE_DATA_METHODS,
}
READ_CHUNK = 64 * 1024


@dataclass
class RpcService:
    """Everything the handlers share; kept on the application under SERVICE."""

    dispatcher: Dispatcher
    feed: EventFeed
    filters: FilterRegistry
    limits: RpcLimits
    connections: set[WebSocketConnection]
    cors: CorsPolicy = OPEN_TO_ANY_PAGE
    refused_origins: int = 0
    """Requests refused because their browser Origin is not allowed (counted, never run)."""
    refused_websockets: int = 0
    """WebSocket upgrades refused because the server or the client's address is at its bound."""


SERVICE = web.AppKey("ordo_rpc_service", RpcService)
SWEEPER = web.AppKey("ordo_rpc_filter_sweeper", asyncio.Task)


MethodObserver = Callable[[str, float, bool], None]
"""Told (method, seconds, succeeded) after every call of a known method: the metrics hook."""
AddPages = Callable[[web.Application], None]
"""Adds routes beside "/" and "/health" (ordo.dashboard.add_dashboard_routes for a node)."""


def _observed(methods: MethodTable, observer: MethodObserver) -> MethodTable:
    def timed(name: str, handler: Handler) -> Handler:
        async def call(context: RpcContext, params: list[Any], session: Session | None) -> Any:
            started = time.perf_counter()
            succeeded = False
            try:
                result = handler(context, params, session)
                if inspect.isawaitable(result):
                    result = await result
                succeeded = True
                return result
            finally:
                observer(name, time.perf_counter() - started, succeeded)
        return call
    return {name: timed(name, handler) for name, handler in methods.items()}


def create_rpc_app(backend: RpcBackend, limits: RpcLimits | None = None,
                   clock: Clock = time.monotonic,
                   observer: MethodObserver | None = None,
                   cors: CorsPolicy = OPEN_TO_ANY_PAGE,
                   pages: Sequence[AddPages] = ()) -> web.Application:
    """Build the application and register its listeners with the backend (call once per app).
    ``pages`` add their routes after the RPC's own."""
    limits = limits or RpcLimits()
    filters = FilterRegistry(clock, limits.max_filters, limits.filter_idle_seconds,
                             limits.max_filter_buffer)
    context = RpcContext(backend=backend, limits=limits, filters=filters)
    feed = EventFeed(backend, limits, filters)
    backend.add_new_block_listener(feed.on_new_block)
    backend.add_pending_transaction_listener(feed.on_pending_transaction)
    methods = ALL_METHODS if observer is None else _observed(ALL_METHODS, observer)
    service = RpcService(Dispatcher(context, methods), feed, filters, limits, set(), cors)
    # The body limit is enforced by our own reader (to answer with a JSON-RPC error body);
    # aiohttp's own cap is set just above it so it never answers first.
    app = web.Application(client_max_size=limits.max_body_bytes + 1)
    app[SERVICE] = service
    app.router.add_post("/", _handle_http)
    app.router.add_get("/", _handle_get)
    app.router.add_route("OPTIONS", "/", _handle_preflight)
    app.router.add_get("/health", _handle_health)
    for add_pages in pages:
        add_pages(app)
    app.on_startup.append(_start_sweeper)
    app.on_shutdown.append(_close_connections)
    app.on_cleanup.append(_stop_sweeper)
    return app


def _too_large(limit: int, headers: dict[str, str]) -> web.Response:
    body = encode(error_response(RpcError(
        INVALID_REQUEST, f"request body too large: more than {limit} bytes")))
    return web.Response(status=413, text=body, content_type="application/json",
                        headers=headers)


def _refused_origin(request: web.Request) -> web.Response | None:
    """A 403 for a browser page whose Origin the policy does not allow (counted), else None.
    Checked before anything is read or run: CORS headers alone would let the call happen."""
    service = request.app[SERVICE]
    origin = request.headers.get("Origin")
    if service.cors.allows(origin, request.headers.get("Host")):
        return None
    service.refused_origins += 1
    body = encode(error_response(RpcError(
        INVALID_REQUEST, f"origin {origin} is not allowed to call this server (its CORS "
                         "origins are configured by its operator)")))
    return web.Response(status=403, text=body, content_type="application/json")


def _cors_headers(request: web.Request) -> dict[str, str]:
    return request.app[SERVICE].cors.response_headers(request.headers.get("Origin"),
                                                      request.headers.get("Host"))


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it exceeds ``limit`` (stops reading as soon as it does)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


async def _handle_http(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    refused = _refused_origin(request)
    if refused is not None:
        return refused
    headers = _cors_headers(request)
    body = await _read_body(request, service.limits.max_body_bytes)
    if body is None:
        return _too_large(service.limits.max_body_bytes, headers)
    response = await service.dispatcher.handle(body, None)
    return web.Response(text=response or "", content_type="application/json",
                        headers=headers)


async def _handle_get(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    refused = _refused_origin(request)
    if refused is not None:
        return refused
    socket = web.WebSocketResponse(max_msg_size=service.limits.max_body_bytes, heartbeat=30.0)
    if not socket.can_prepare(request).ok:
        return web.Response(status=405, text="use POST for JSON-RPC or upgrade to a WebSocket\n",
                            headers={"Allow": "POST, OPTIONS"})
    full = _websocket_bound_reached(service, str(request.remote))
    if full is not None:
        service.refused_websockets += 1
        return web.Response(status=503, text=full + "\n", headers={"Retry-After": "5"})
    await socket.prepare(request)
    connection = WebSocketConnection(socket, service.dispatcher, service.feed,
                                     service.limits.ws_send_queue, str(request.remote))
    service.connections.add(connection)
    try:
        await connection.run()
    finally:
        service.connections.discard(connection)
    return socket


def _websocket_bound_reached(service: RpcService, remote: str) -> str | None:
    """Why one more WebSocket from ``remote`` would exceed a bound, or None."""
    limits = service.limits
    if len(service.connections) >= limits.max_ws_connections:
        return (f"too many WebSocket connections: the server holds {limits.max_ws_connections}; "
                "retry later or use HTTP")
    from_remote = sum(1 for connection in service.connections if connection.peer == remote)
    if from_remote >= limits.max_ws_connections_per_ip:
        return (f"too many WebSocket connections from {remote}: at most "
                f"{limits.max_ws_connections_per_ip} per address")
    return None


async def _handle_preflight(request: web.Request) -> web.StreamResponse:
    refused = _refused_origin(request)
    if refused is not None:
        return refused
    return web.Response(status=204, headers=_cors_headers(request))


async def _handle_health(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


async def _start_sweeper(app: web.Application) -> None:
    service = app[SERVICE]
    period = max(0.05, min(30.0, service.limits.filter_idle_seconds / 4))

    async def sweep() -> None:
        while True:
            await asyncio.sleep(period)
            service.filters.expire()

    app[SWEEPER] = asyncio.create_task(sweep())


async def _stop_sweeper(app: web.Application) -> None:
    task = app[SWEEPER]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_connections(app: web.Application) -> None:
    for connection in list(app[SERVICE].connections):
        await connection.close()


class RpcServer:
    """A running server bound to a TCP port."""

    def __init__(self, runner: web.AppRunner, site: web.TCPSite, host: str, port: int) -> None:
        self._runner = runner
        self._site = site
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_rpc_server(backend: RpcBackend, host: str = "127.0.0.1", port: int = 8545,
                           limits: RpcLimits | None = None,
                           observer: MethodObserver | None = None,
                           cors: CorsPolicy = OPEN_TO_ANY_PAGE,
                           pages: Sequence[AddPages] = ()) -> RpcServer:
    """Serve on host:port (port 0 picks a free port; the bound one is on the result)."""
    app = create_rpc_app(backend, limits, observer=observer, cors=cors, pages=pages)
    return await serve_app(app, host, port)


async def serve_app(app: web.Application, host: str, port: int) -> RpcServer:
    """Run a built application on host:port (port 0 picks a free port)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = port
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None)
    if sockets:
        bound_port = int(sockets[0].getsockname()[1])
    return RpcServer(runner, site, host, bound_port)
