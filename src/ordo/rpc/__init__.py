"""Ethereum JSON-RPC over HTTP and WebSocket, plus the ordo_ namespace."""

from ordo.rpc.limits import RpcLimits
from ordo.rpc.server import RpcServer, create_rpc_app, start_rpc_server

__all__ = ["RpcLimits", "RpcServer", "create_rpc_app", "start_rpc_server"]
