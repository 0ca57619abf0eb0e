"""ordo devnet-forge-batch signs only with a devnet's own key files: a directory that is not a
running devnet's, and a key file that l1.json does not list for its node, are refused before
anything is read from L1; the colluding set is the fewest keys holding more than 2/3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordo.cli import main
from ordo.devnet.forge_batch import ForgeError, colluding_keys, read_devnet, wrong_root_for
from ordo.devnet.l1_provision import provision_on_l1
from ordo.devnet.layout import DevnetLayout
from ordo.devnet.provision import DevnetShape
from tests.devnet.test_devnet_l1_provision import DEPLOYER_KEY
from tests.l1.conftest import (  # noqa: F401  (fixtures pytest finds by name)
    Endpoint,
    anvil_endpoint,
    anvil_process,
)


def test_a_directory_that_is_not_a_devnet_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["devnet-forge-batch", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a running devnet's data dir" in result.output
    bad_root = CliRunner().invoke(main, ["devnet-forge-batch", "--data-dir", str(tmp_path),
                                         "--wrong-output-root", "0x" + "00" * 32])
    assert bad_root.exit_code == 2 and "not zero" in bad_root.output


async def test_only_the_devnets_own_keys_sign(tmp_path: Path,
                                              anvil_endpoint: Endpoint) -> None:  # noqa: F811
    layout = DevnetLayout(tmp_path / "net")
    await provision_on_l1(layout, DevnetShape(nodes=3, stakes=(20_000, 25_000, 30_000)),
                          anvil_endpoint.url, DEPLOYER_KEY, lambda _line: None)
    layout.manifest_path.write_text(json.dumps({"l1": {"rpc": anvil_endpoint.url}, "nodes": [
        {"rpc": "http://127.0.0.1:1"}]}))
    files = read_devnet(layout.root)
    assert files.node_urls == ("http://127.0.0.1:1",) and len(files.keys) == 3
    # 20k + 25k = 45k of 75k is not more than 2/3; all three are needed.
    assert colluding_keys(files) == list(files.keys)
    assert wrong_root_for(b"\x01" * 32) != b"\x01" * 32

    first, second = (layout.signer_key_path(index) for index in (0, 1))
    first_text = first.read_text()
    first.write_text(second.read_text())
    with pytest.raises(ForgeError, match=r"not the signer .* lists for node 0: only a devnet's "
                                         "own keys are used"):
        read_devnet(layout.root)
    first.write_text(first_text)
