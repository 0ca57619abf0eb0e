"""What consensus needs from the genesis file and the operator's key files, checked once at start.

For now the validator set of every epoch is the genesis list (the L1 locking pool replaces it
later). A genesis without validators is a solo development chain: the node's own signer is the
only validator, so a lone ``ordo node`` with a signer key still produces final blocks.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ordo.config.node_config import ConfigError
from ordo.consensus import ConsensusParams, LocalSigner, Validator, ValidatorSet
from ordo.core.genesis import Genesis

log = logging.getLogger(__name__)

SOLO_STAKE = 1


def load_signer_key(path: Path | None) -> bytes | None:
    """The sequencer signer's 32-byte private key from a hex file, or None without a file."""
    if path is None:
        return None
    try:
        key = bytes.fromhex(path.read_text().strip().removeprefix("0x"))
        LocalSigner(key)
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"signer_key: {path} is not a readable hex secp256k1 key: {error}"
        ) from error
    return key


def signer_address_of(key: bytes | None) -> bytes | None:
    return None if key is None else LocalSigner(key).address


def validator_set_from_genesis(genesis: Genesis, signer_address: bytes | None) -> ValidatorSet:
    if genesis.validators:
        try:
            return ValidatorSet.of(
                Validator(validator.address, validator.stake) for validator in genesis.validators
            )
        except ValueError as error:
            raise ConfigError(f"genesis: {error}") from error
    if signer_address is None:
        raise ConfigError("genesis lists no validators and this node has no signer key, so no "
                          "one could produce blocks; add validators to the genesis or pass a "
                          "signer key")
    log.warning("genesis lists no validators: running a solo chain with signer 0x%s as the "
                "only validator", signer_address.hex())
    return ValidatorSet.of([Validator(signer_address, SOLO_STAKE)])


def consensus_params_from_genesis(genesis: Genesis) -> ConsensusParams:
    rules = genesis.consensus
    try:
        return ConsensusParams(
            chain_id=genesis.chain_id,
            epoch_length=rules.epoch_length,
            propose_base_ms=rules.propose_base_ms,
            propose_delta_ms=rules.propose_delta_ms,
            prevote_base_ms=rules.prevote_base_ms,
            prevote_delta_ms=rules.prevote_delta_ms,
            precommit_base_ms=rules.precommit_base_ms,
            precommit_delta_ms=rules.precommit_delta_ms,
        )
    except ValueError as error:
        raise ConfigError(f"genesis: {error}") from error
