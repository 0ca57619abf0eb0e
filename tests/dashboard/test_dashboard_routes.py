"""The dashboard is served by the node's own RPC app, from package files only, self-contained."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ordo.dashboard import DASHBOARD_ASSETS, add_dashboard_routes
from ordo.dashboard.routes import CONTENT_SECURITY_POLICY
from ordo.rpc import create_rpc_app
from tests.rpc.rpc_chain import build_chain


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    app = create_rpc_app(build_chain(), pages=(add_dashboard_routes,))
    test_client = TestClient(TestServer(app))
    await test_client.start_server()
    yield test_client
    await test_client.close()


async def test_page_is_served_as_html_with_its_script_and_style(client: TestClient) -> None:
    response = await client.get("/dashboard")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = await response.text()
    assert '<script src="/dashboard/dashboard.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/dashboard/dashboard.css">' in html
    for section in ("validators", "blocks", "batches", "settlement", "settlement-root",
                    "settlement-window", "slashing", "tps-chart", "epoch",
                    "producer", "finalized"):
        assert f'id="{section}"' in html


@pytest.mark.parametrize(("path", "content_type"), [
    ("/dashboard/dashboard.js", "text/javascript"),
    ("/dashboard/dashboard.css", "text/css"),
])
async def test_assets_are_served_with_their_types(client: TestClient, path: str,
                                                  content_type: str) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(await response.read()) > 500


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/index.html"])
async def test_alternative_page_paths_redirect_to_the_page(client: TestClient, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 308
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("path", [
    "/dashboard/../pyproject.toml", "/dashboard/%2e%2e/routes.py", "/dashboard/routes.py",
    "/dashboard/__init__.py", "/dashboard/static/dashboard.js", "/dashboard/missing.js",
])
async def test_nothing_but_the_listed_files_is_reachable(client: TestClient, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 404


async def test_an_rpc_app_serves_only_the_pages_its_owner_registers() -> None:
    """The node registers the dashboard (node/runner.py); a bare RPC app, as the dev L1 serves,
    has no page."""
    async with TestClient(TestServer(create_rpc_app(build_chain()))) as bare:
        assert (await bare.get("/dashboard", allow_redirects=False)).status == 404
        assert (await bare.get("/health")).status == 200


async def test_json_rpc_still_answers_next_to_the_page(client: TestClient) -> None:
    response = await client.post("/", json={"jsonrpc": "2.0", "id": 1,
                                            "method": "eth_chainId", "params": []})
    assert (await response.json())["id"] == 1


async def test_page_fetches_nothing_from_outside_the_node(client: TestClient) -> None:
    for asset in DASHBOARD_ASSETS:
        path = "/dashboard" if asset.name == "index.html" else f"/dashboard/{asset.name}"
        text = await (await client.get(path)).text()
        # The only absolute URL allowed is the SVG namespace name, which is never fetched.
        urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"')]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (asset.name, urls)
        assert "@import" not in text
