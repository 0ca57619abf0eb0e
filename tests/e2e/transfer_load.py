"""A background stream of signed transfers that remembers every hash the node acknowledged.

An acknowledged hash is a promise (docs/design.md §3, "nothing acknowledged is lost"): whatever
happens to the node afterwards, that transaction must end up mined or still pending. The stream
keeps sending through node restarts: while the node is down, sends fail and are simply not
remembered.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3

GWEI = 10**9
MAX_FEE = 20 * GWEI
TIP = GWEI
SEND_INTERVAL_S = 0.01
RETRY_PAUSE_S = 0.2


class TransferLoad(threading.Thread):
    def __init__(self, rpc_url: str, chain_id: int, senders: list[LocalAccount],
                 recipient: str) -> None:
        super().__init__(name="transfer-load", daemon=True)
        self._w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 5}))
        self._chain_id = chain_id
        self._senders = senders
        self._recipient = recipient
        self._nonces: dict[str, int | None] = {sender.address: None for sender in senders}
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._acknowledged: list[HexBytes] = []
        self.refusals: dict[str, int] = {}
        self.connection_errors = 0

    def acknowledged(self) -> list[HexBytes]:
        with self._lock:
            return list(self._acknowledged)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    def run(self) -> None:
        while not self._stop_event.is_set():
            for sender in self._senders:
                if self._stop_event.is_set():
                    return
                self._send_one(sender)
                time.sleep(SEND_INTERVAL_S)

    def _send_one(self, sender: LocalAccount) -> None:
        try:
            nonce = self._nonces[sender.address]
            if nonce is None:
                nonce = self._w3.eth.get_transaction_count(sender.address, "pending")
            tx: dict[str, Any] = {
                "chainId": self._chain_id, "nonce": nonce, "to": self._recipient, "value": 1,
                "gas": 21_000, "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP,
            }
            raw = sender.sign_transaction(tx).raw_transaction
            tx_hash = self._w3.eth.send_raw_transaction(raw)
        except (OSError, ConnectionError, TimeoutError) as error:
            self._note_failure(sender, None, error)
            return
        except Exception as error:  # web3 wraps transport errors in several classes
            self._note_failure(sender, _rpc_message(error), error)
            return
        with self._lock:
            self._acknowledged.append(HexBytes(tx_hash))
        self._nonces[sender.address] = nonce + 1

    def _note_failure(self, sender: LocalAccount, message: str | None, error: Exception) -> None:
        """Forget the local nonce: the node's pending nonce decides what comes next."""
        self._nonces[sender.address] = None
        if message is None:
            self.connection_errors += 1
        else:
            self.refusals[message] = self.refusals.get(message, 0) + 1
        self._stop_event.wait(RETRY_PAUSE_S)


def _rpc_message(error: Exception) -> str | None:
    """The JSON-RPC error message if the node answered, None for a transport failure."""
    details = error.args[0] if error.args else None
    if isinstance(details, dict) and "message" in details:
        return str(details["message"]).split(":")[0]
    return None
