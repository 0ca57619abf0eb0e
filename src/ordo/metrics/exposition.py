"""The /metrics HTTP endpoint: its own port, so it can be firewalled apart from JSON-RPC."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

REGISTRY_KEY = web.AppKey("ordo_metrics_registry", CollectorRegistry)


async def _serve_metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY_KEY])
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


class MetricsServer:
    def __init__(self, runner: web.AppRunner, host: str, port: int) -> None:
        self._runner = runner
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_metrics_server(registry: CollectorRegistry, host: str,
                               port: int) -> MetricsServer:
    """Serve GET /metrics on host:port (0 picks a free port, reported on the result)."""
    app = web.Application()
    app[REGISTRY_KEY] = registry
    app.router.add_get("/metrics", _serve_metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = port
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None)
    if sockets:
        bound = int(sockets[0].getsockname()[1])
    return MetricsServer(runner, host, bound)
