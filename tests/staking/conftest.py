"""The L1 endpoints of tests/l1 (dev chain in-process, real anvil), reused as they are."""

from tests.l1.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    anvil_endpoint,
    anvil_process,
    dev_endpoint,
    endpoint,
)
