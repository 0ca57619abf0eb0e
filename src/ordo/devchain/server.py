"""Serve a dev chain: Ordo's JSON-RPC server over the node, plus the dev methods and the
development accounts unlocked (as anvil serves them)."""

from __future__ import annotations

from ordo.devchain.dev_chain import DevChain
from ordo.devchain.dev_methods import make_dev_methods
from ordo.devchain.unlocked_accounts import development_keys, make_unlocked_account_methods
from ordo.rpc.context import RpcContext
from ordo.rpc.cors import CLOSED_TO_PAGES, CorsPolicy
from ordo.rpc.dispatch import Dispatcher
from ordo.rpc.server import ALL_METHODS, SERVICE, RpcServer, create_rpc_app, serve_app


async def start_dev_server(dev: DevChain, host: str = "127.0.0.1", port: int = 0,
                           cors: CorsPolicy = CLOSED_TO_PAGES) -> RpcServer:
    """Listen on host:port (0 picks a free port; the bound one is on the result). Its accounts
    sign for any caller, so no web page may call it unless ``cors`` names the page's origin."""
    app = create_rpc_app(dev.node, cors=cors)
    service = app[SERVICE]
    context = RpcContext(backend=dev.node, limits=service.limits, filters=service.filters)
    methods = {**ALL_METHODS, **make_dev_methods(dev),
               **make_unlocked_account_methods(dev, development_keys())}
    service.dispatcher = Dispatcher(context, methods)
    return await serve_app(app, host, port)
