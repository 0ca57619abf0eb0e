"""A realistic L2 traffic mix for the batch benchmarks: really signed EIP-1559 transactions.

Half ETH transfers, 30% ERC-20 ``transfer`` calls and 20% calls of a DEX-router-like function
(``swapExactTokensForTokens`` with a two- or three-token path), from 200 senders (the dev
accounts and keys derived from them) with sequential nonces, to recipients drawn with a skewed
popularity (a few hot addresses, a long tail), fees moving a little per block. Blocks every 2 s;
the coinbase changes every 8 blocks; the mix hash changes every block (the worst case: a fresh
random value per block). Deterministic for a seed.
"""

from __future__ import annotations

import random

from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from ordo.core.batch_blocks import BatchBlock
from ordo.core.genesis import dev_private_keys

CHAIN_ID = 77077
GWEI = 10**9
TRANSFER_SELECTOR = keccak(b"transfer(address,uint256)")[:4]
SWAP_SELECTOR = keccak(b"swapExactTokensForTokens(uint256,uint256,address[],address,uint256)")[:4]
BLOCK_GAS_LIMIT = 30_000_000


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: bytes) -> bytes:
    return bytes(12) + address


class TrafficMix:
    def __init__(self, seed: int = 7, senders: int = 200) -> None:
        self.random = random.Random(seed)
        base = dev_private_keys(10)
        self.keys = base + [keccak(base[index % 10] + index.to_bytes(4, "big"))
                            for index in range(10, senders)]
        self.nonces = [0] * len(self.keys)
        self.recipients = [keccak(b"recipient" + index.to_bytes(4, "big"))[:20]
                           for index in range(400)]
        self.tokens = [keccak(b"token" + index.to_bytes(4, "big"))[:20] for index in range(12)]
        self.router = keccak(b"router")[:20]
        self.coinbases = [keccak(b"sequencer" + index.to_bytes(1, "big"))[:20]
                          for index in range(4)]
        self.counts = {"eth_transfer": 0, "erc20_transfer": 0, "contract_call": 0}

    def _recipient(self) -> bytes:
        # skewed popularity: index ~ 400 * u^3 puts most picks on few addresses
        return self.recipients[int(len(self.recipients) * self.random.random() ** 3)]

    def _transaction(self, base_fee: int) -> bytes:
        sender = self.random.randrange(len(self.keys))
        roll = self.random.random()
        if roll < 0.5:
            kind, to, gas, data = "eth_transfer", self._recipient(), 21_000, b""
            value = self.random.randrange(10**15, 5 * 10**18)
        elif roll < 0.8:
            amount = self.random.randrange(1, 10**6) * 10**self.random.choice((6, 12, 18))
            kind, to, gas, value = "erc20_transfer", self.random.choice(self.tokens), 65_000, 0
            data = TRANSFER_SELECTOR + _address_word(self._recipient()) + _word(amount)
        else:
            path = self.random.sample(self.tokens, self.random.choice((2, 3)))
            amount_in = self.random.randrange(1, 10**21)
            data = (SWAP_SELECTOR + _word(amount_in) + _word(amount_in * 95 // 100)
                    + _word(5 * 32) + _address_word(self._recipient())
                    + _word(1_900_000_000 + self.random.randrange(600))
                    + _word(len(path)) + b"".join(_address_word(token) for token in path))
            kind, to, gas, value = "contract_call", self.router, 180_000, 0
        self.counts[kind] += 1
        tip = self.random.choice((1, 1, 1, 2, 3)) * GWEI // 10
        signed = Account.sign_transaction({
            "type": 2, "chainId": CHAIN_ID, "nonce": self.nonces[sender],
            "to": to_checksum_address(to), "value": value, "data": data, "gas": gas,
            "maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base_fee + tip,
        }, self.keys[sender])
        self.nonces[sender] += 1
        return bytes(signed.raw_transaction)

    def blocks(self, count: int, transactions_per_block: int,
               first_number: int = 1) -> list[BatchBlock]:
        made = []
        base_fee = GWEI // 100
        for offset in range(count):
            number = first_number + offset
            base_fee = max(7, base_fee + self.random.randrange(-base_fee // 8, base_fee // 8 + 1))
            made.append(BatchBlock(
                number=number, timestamp=1_700_000_000 + 2 * number,
                coinbase=self.coinbases[(number // 8) % len(self.coinbases)],
                gas_limit=BLOCK_GAS_LIMIT, extra_data=b"ordo",
                mix_hash=keccak(b"randao" + number.to_bytes(8, "big")),
                transactions=tuple(self._transaction(base_fee)
                                   for _ in range(transactions_per_block))))
        return made
