"""Regression for a fuzz finding: an undefined transaction type was refused with py-evm's tuple
repr ("transaction type not supported: (5, 'Unknown transaction type')")."""

from __future__ import annotations

import pytest
import rlp

from ordo.core.errors import RejectedTransaction
from ordo.core.transaction import decode_transaction


@pytest.mark.parametrize("type_byte", [0x00, 0x05, 0x42, 0x7F])
def test_undefined_types_are_named_in_the_refusal(type_byte: int) -> None:
    with pytest.raises(RejectedTransaction) as refused:
        decode_transaction(bytes([type_byte]) + rlp.encode([1, 2, 3]))
    assert refused.value.message == f"transaction type not supported: type 0x{type_byte:02x}"
    assert refused.value.code == -32000


def test_defined_types_still_reach_their_decoder() -> None:
    for type_byte in (0x01, 0x02, 0x04):
        with pytest.raises(RejectedTransaction) as refused:
            decode_transaction(bytes([type_byte]) + rlp.encode([1, 2, 3]))
        assert refused.value.message.startswith("rlp:"), refused.value.message
