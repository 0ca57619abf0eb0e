"""Serve a dev chain: Ordo's JSON-RPC server over the node, plus the dev methods and the
development accounts unlocked (as anvil serves them)."""

from __future__ import annotations

from aiohttp import web

from ordo.l1.dev_chain.dev_chain import DevChain
from ordo.l1.dev_chain.dev_methods import make_dev_methods
from ordo.l1.dev_chain.unlocked_accounts import development_keys, make_unlocked_account_methods
from ordo.rpc.context import RpcContext
from ordo.rpc.dispatch import Dispatcher
from ordo.rpc.server import ALL_METHODS, SERVICE, RpcServer, create_rpc_app


async def start_dev_server(dev: DevChain, host: str = "127.0.0.1", port: int = 0) -> RpcServer:
    """Listen on host:port (0 picks a free port; the bound one is on the result)."""
    app = create_rpc_app(dev.node)
    service = app[SERVICE]
    context = RpcContext(backend=dev.node, limits=service.limits, filters=service.filters)
    methods = {**ALL_METHODS, **make_dev_methods(dev),
               **make_unlocked_account_methods(dev, development_keys())}
    service.dispatcher = Dispatcher(context, methods)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = port
    sockets = getattr(getattr(site, "_server", None), "sockets", None)
    if sockets:
        bound_port = int(sockets[0].getsockname()[1])
    return RpcServer(runner, site, host, bound_port)
