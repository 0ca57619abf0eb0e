# pragma version ~=0.4.3
"""
@title MessageMap
@notice Test-only contract with the message passer's storage layout (sent_messages, a
        HashMap[bytes32, bool] at slot 0), to check Vyper 0.4.3's HashMap slot formula and that
        anvil's eth_getProof output proves a withdrawal on the portal.
"""

sent_messages: public(HashMap[bytes32, bool])


@external
def record(withdrawal_hash: bytes32):
    self.sent_messages[withdrawal_hash] = True
