from tests.devnet.devnet_on_l1 import run_devnet, ticking_anvil

__all__ = ["run_devnet", "ticking_anvil"]
