from tests.execution.conftest import chain, genesis, keys

__all__ = ["chain", "genesis", "keys"]
