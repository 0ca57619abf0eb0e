# pragma version ~=0.4.3
"""
Test-only step verifier that says it does not decide every step kind, as the real StepRouter
does today: deploy_dispute_game must refuse it unless told to allow it.
"""


@external
@view
def decides_every_step() -> bool:
    return False


@external
@view
def step(pre_state: bytes32, witness: Bytes[1024]) -> bytes32:
    raise "IncompleteStepVerifier: not verifiable yet"
