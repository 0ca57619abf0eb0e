"""Fault proofs: the step machine that turns an L2 block into a trace of committed states, the
witnesses the on-chain verifier checks one step with, and the commitments both share.

The specification is ``docs/fault_proofs.md``; every module here follows it to the byte, because
the on-chain verifier (``src/ordo/l1/contracts/step/``) computes the same commitments.
"""
