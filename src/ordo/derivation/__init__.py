"""Derivation: rebuild the L2 chain from L1 alone.

A verifier reads the RollupInbox's ``BatchAccepted`` events and the batch data their L1
transactions carry (calldata payloads or EIP-4844 blobs), decodes the blocks, re-executes every
one on its parent and checks the result against what the signed headers commit to. Pure parts:
:mod:`inbox_batches` (events and submit_batch calls), :mod:`batch_data` (payload checks and
decoding), :mod:`batch_sequence` (index and block continuity), :mod:`block_replay`
(re-execution). Shells: :mod:`l1_batches` (reading L1), :mod:`l2_comparison` (checking a live
node) and ``python -m ordo.derivation``.
"""
