"""The live dashboard each node serves at /dashboard: static page plus the node's own WebSocket."""

from ordo.dashboard.routes import DASHBOARD_ASSETS, add_dashboard_routes

__all__ = ["DASHBOARD_ASSETS", "add_dashboard_routes"]
