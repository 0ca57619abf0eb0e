"""Fixtures shared by the end-to-end tests: one node per test session, reached over real sockets.

ORDO_E2E_TARGET=anvil runs the same tests against anvil (a standard Ethereum node) so that the
tests themselves can be validated independently of Ordo; the default target is an Ordo devnet.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ordo.core.genesis import dev_private_keys

from .targets import Endpoint, running_node, selected_target


@pytest.fixture(scope="session")
def target() -> str:
    return selected_target()


@pytest.fixture(scope="session")
def endpoint(target: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    """The node shared by the whole session."""
    with running_node(target, tmp_path_factory.mktemp("e2e-node")) as started:
        yield started


@pytest.fixture(scope="session")
def dev_accounts() -> list[LocalAccount]:
    """The ten prefunded accounts of the development mnemonic, as local signers."""
    return [Account.from_key(key) for key in dev_private_keys()]


@pytest.fixture(scope="session")
def session_w3(endpoint: Endpoint) -> Web3:
    return Web3(Web3.HTTPProvider(endpoint.rpc_url, request_kwargs={"timeout": 30}))
