"""The node's durable chain: blocks, receipts, state, indexes, certificates and mempool journal.

Everything a committed block changes -- its header, body and receipts, the state its execution
wrote, the hash and number indexes, the head and finality pointers, its certificate and the removal
of its transactions from the mempool journal -- goes into ONE LMDB write transaction, synced to disk
before ``commit_block`` returns. LMDB's copy-on-write B-tree makes that transaction all-or-nothing,
so a node killed at any instant reopens at its last committed block with nothing to repair.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import lmdb
from eth.abc import BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth.vm.forks.prague.blocks import PragueBlockHeader

from ordo.core.block import Block, ExecutedBlock, LogRecord, TransactionLocation
from ordo.core.lru import LruCache
from ordo.storage.block_logs import block_logs
from ordo.storage.encoding import (
    ADDRESS_WIDTH,
    HASH_WIDTH,
    MAX_NUMBER,
    NUMBER_WIDTH,
    CorruptRecordError,
    decode_body,
    decode_header,
    decode_location,
    decode_number,
    decode_receipts,
    encode_body,
    encode_header,
    encode_location,
    encode_receipts,
    number_key,
)
from ordo.storage.state_reader import KeyValueReader, LmdbStateReader

STORE_FORMAT = b"ordo-chain-store/1"
DEFAULT_MAP_SIZE = 8 * 2**30
DEFAULT_CACHE_SIZE = 256
MAX_READERS = 1024

_HEAD = b"head"
_FINALIZED = b"finalized"
_FORMAT = b"format"

# LMDB forbids opening one environment twice in a process (the second close would drop the
# first's locks), so open paths are tracked process-wide.
_open_paths: set[Path] = set()
_open_paths_lock = threading.Lock()


class StoreClosedError(Exception):
    """The store was used after ``close()``."""


class StoreFullError(Exception):
    """The LMDB map is full: reopen the store with a larger ``map_size``."""


class StoreWriteError(Exception):
    """The file system refused a write (LMDB reports a short write as an I/O error): the write
    was aborted whole (nothing of it is stored); the same write can succeed once the cause (a
    full disk, usually) is gone."""


class StoreDiskFullError(StoreWriteError):
    """The file system under the store has no space left (ENOSPC)."""


@dataclass(frozen=True)
class RewoundBlocks:
    """What ``ChainStore.rewind_to`` removed: the blocks (oldest first) and the hashes of their
    transactions it put back into the mempool journal."""

    blocks: tuple[Block, ...]
    journaled: tuple[bytes, ...]


class ChainStore:
    def __init__(
        self,
        path: Path,
        map_size: int = DEFAULT_MAP_SIZE,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if not isinstance(map_size, int) or map_size <= 0:
            raise ValueError(f"map_size must be a positive int, got {map_size!r}")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        resolved = path.resolve()
        with _open_paths_lock:
            if resolved in _open_paths:
                raise ValueError(f"chain store {resolved} is already open in this process")
            _open_paths.add(resolved)
        try:
            self._env = lmdb.open(
                str(resolved),
                map_size=map_size,
                subdir=True,
                max_dbs=16,
                max_readers=MAX_READERS,
                lock=True,
                sync=True,
                metasync=True,
                readahead=False,
            )
            with self._env.begin(write=True) as txn:
                self._canonical = self._env.open_db(b"canonical", txn=txn)  # number -> hash
                self._numbers = self._env.open_db(b"block_numbers", txn=txn)  # hash -> number
                self._headers = self._env.open_db(b"headers", txn=txn)  # hash -> rlp header
                self._bodies = self._env.open_db(b"bodies", txn=txn)  # hash -> txs + senders
                self._receipts = self._env.open_db(b"receipts", txn=txn)  # hash -> receipts
                self._tx_locations = self._env.open_db(b"tx_locations", txn=txn)
                self._certificates = self._env.open_db(b"certificates", txn=txn)  # number -> cert
                self._state = self._env.open_db(b"state", txn=txn)
                self._journal = self._env.open_db(b"journal", txn=txn)  # sequence -> raw tx
                self._journal_seqs = self._env.open_db(b"journal_seqs", txn=txn)  # hash -> seq
                self._chain = self._env.open_db(b"chain", txn=txn)  # head, finalized, format
                self._meta = self._env.open_db(b"meta", txn=txn)
                stored_format = txn.get(_FORMAT, db=self._chain)
                if stored_format is None:
                    txn.put(_FORMAT, STORE_FORMAT, db=self._chain)
                elif bytes(stored_format) != STORE_FORMAT:
                    raise ValueError(
                        f"chain store {resolved} has format {bytes(stored_format)!r}, "
                        f"expected {STORE_FORMAT!r}"
                    )
        except BaseException:
            env = getattr(self, "_env", None)
            if env is not None:
                env.close()
            with _open_paths_lock:
                _open_paths.discard(resolved)
            raise
        # Reader slots of a process killed mid-read would pin old pages and grow the file.
        self._env.reader_check()
        self._path = resolved
        self._closed = False
        self._write_lock = threading.Lock()
        """Serializes write transactions and close(): the journal writer and block commits run in
        different worker threads, and with two writers racing, py-lmdb 3.0 once left close()
        waiting forever for a write transaction it believed an idle thread still held."""
        self.write_refusals = 0
        """Writes the file system refused, full or short (each aborted whole)."""
        self._max_key_size = self._env.max_key_size()
        self._block_cache: LruCache[bytes, Block] = LruCache(cache_size)
        self._receipt_cache: LruCache[bytes, Sequence[ReceiptAPI]] = LruCache(cache_size)
        """Receipts by block hash; a block the native engine executed keeps them as
        ``LazyReceipts`` (encodings) until an answer reads them."""
        self._log_cache: LruCache[bytes, tuple[LogRecord, ...]] = LruCache(cache_size)
        self._state_reader = LmdbStateReader(self._env, self._state)

    # --- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        with self._write_lock:  # never tear the environment down under a running write
            if self._closed:
                return
            self._closed = True
            self._env.close()
        with _open_paths_lock:
            _open_paths.discard(self._path)

    def __enter__(self) -> ChainStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._path

    def state_reader(self) -> KeyValueReader:
        self._require_open()
        return self._state_reader

    # --- committing ----------------------------------------------------------------------------
    def commit_block(
        self,
        executed: ExecutedBlock,
        state_writes: Mapping[bytes, bytes],
        *,
        certificate: bytes | None = None,
        journal_removals: Iterable[bytes] = (),
        finalized_number: int | None = None,
    ) -> None:
        """Commit one block and everything it changes atomically; durable on return.

        The block's own transactions leave the mempool journal in the same transaction, so
        ``journal_removals`` only needs the hashes of other dropped or replaced transactions.
        Raises ValueError (and writes nothing) if the block does not extend the head.
        """
        block, receipts = _check_executed_block(executed)
        writes = self._check_state_writes(state_writes)
        removals = [_check_hash(tx_hash, "journal removal") for tx_hash in journal_removals]
        if certificate is not None and not isinstance(certificate, bytes):
            raise ValueError(f"certificate must be bytes, got {type(certificate).__name__}")
        if finalized_number is not None:
            _check_number(finalized_number, "finalized number")
            if finalized_number > block.number:
                raise ValueError(
                    f"finalized number {finalized_number} is above the block {block.number}"
                )
        block_hash = block.hash
        tx_hashes = [bytes(tx.hash) for tx in block.transactions]
        header_raw = encode_header(block.header)
        body_raw = encode_body(block.transactions, block.senders)
        receipts_raw = encode_receipts(receipts, executed.receipt_encodings)

        with self._write() as txn:
            self._check_extends_head(txn, block)
            if finalized_number is not None:
                self._check_finality_advance(txn, finalized_number)
            for tx_hash in tx_hashes:
                existing = txn.get(tx_hash, db=self._tx_locations)
                if existing is not None:
                    location = decode_location(bytes(existing))
                    raise ValueError(
                        f"transaction 0x{tx_hash.hex()} is already included in block "
                        f"{location.block_number}"
                    )
            number_bytes = number_key(block.number)
            txn.put(number_bytes, block_hash, db=self._canonical)
            txn.put(block_hash, number_bytes, db=self._numbers)
            txn.put(block_hash, header_raw, db=self._headers)
            txn.put(block_hash, body_raw, db=self._bodies)
            txn.put(block_hash, receipts_raw, db=self._receipts)
            for index, tx_hash in enumerate(tx_hashes):
                location = TransactionLocation(block_hash, block.number, index)
                # A block may repeat a hash only if the caller built it wrong: refuse it.
                if not txn.put(tx_hash, encode_location(location), db=self._tx_locations,
                               overwrite=False):
                    raise ValueError(f"transaction 0x{tx_hash.hex()} appears twice in the block")
            if certificate is not None:
                txn.put(number_bytes, certificate, db=self._certificates)
            with txn.cursor(db=self._state) as cursor:
                cursor.putmulti(writes)
            for tx_hash in tx_hashes + removals:
                self._journal_delete(txn, tx_hash)
            txn.put(_HEAD, number_bytes, db=self._chain)
            if finalized_number is not None:
                txn.put(_FINALIZED, number_key(finalized_number), db=self._chain)
        self._block_cache.put(block_hash, block)
        self._receipt_cache.put(block_hash, receipts)

    def set_finalized_number(self, number: int) -> None:
        """Raise the finality pointer; refuses going backwards or past the head."""
        _check_number(number, "finalized number")
        with self._write() as txn:
            head = self._read_number(txn, _HEAD)
            if head is None or number > head:
                raise ValueError(f"finalized number {number} is above the head {head}")
            self._check_finality_advance(txn, number)
            txn.put(_FINALIZED, number_key(number), db=self._chain)

    def rewind_to(self, number: int, *, meta_removals: Iterable[str] = ()) -> RewoundBlocks:
        """Drop every block above ``number``, in ONE write transaction, durable on return.

        Only for adopting the chain L1 holds (a fallback batch replaced blocks this node had
        made final but never posted): blocks, receipts, transaction index entries and
        certificates above ``number`` go, head and finality move down to it, and the raw
        transactions of the dropped blocks go back into the mempool journal, so nothing an
        RPC client was told is accepted is silently lost (the node re-admits them on start, or
        reports them dropped with the reason). Logs are derived from receipts, so they go with
        them. State trie nodes are content-addressed and shared between blocks: they stay.
        ``meta_removals``: metadata about the dropped blocks (epoch sets anchored on them, a
        consensus recovery record for their heights), removed in the same transaction.
        """
        _check_number(number, "rewind target")
        keys = [self._check_meta_key(key) for key in meta_removals]
        dropped: list[Block] = []
        with self._write() as txn:
            head = self._read_number(txn, _HEAD)
            if head is None or number > head:
                raise ValueError(f"cannot rewind to block {number}: the head is {head}")
            for height in range(head, number, -1):
                number_bytes = number_key(height)
                stored_hash = txn.get(number_bytes, db=self._canonical)
                if stored_hash is None:
                    raise CorruptRecordError(f"block {height} has no canonical hash")
                block_hash = bytes(stored_hash)
                block = self._load_block(txn, block_hash)
                if block is None:
                    raise CorruptRecordError(f"block {height} 0x{block_hash.hex()} is not stored")
                dropped.append(block)
                for tx in block.transactions:
                    txn.delete(bytes(tx.hash), db=self._tx_locations)
                for db in (self._numbers, self._headers, self._bodies, self._receipts):
                    txn.delete(block_hash, db=db)
                txn.delete(number_bytes, db=self._canonical)
                txn.delete(number_bytes, db=self._certificates)
            txn.put(_HEAD, number_key(number), db=self._chain)
            finalized = self._read_number(txn, _FINALIZED)
            if finalized is not None and finalized > number:
                txn.put(_FINALIZED, number_key(number), db=self._chain)
            dropped.reverse()
            returned = self._journal_append(txn, [(bytes(tx.hash), bytes(tx.encode()))
                                                  for block in dropped
                                                  for tx in block.transactions])
            for key in keys:
                txn.delete(key, db=self._meta)
        # Cached blocks, receipts and logs are keyed by hash: the dropped ones must not answer.
        for cache in (self._block_cache, self._receipt_cache, self._log_cache):
            cache.clear()
        return RewoundBlocks(tuple(dropped), returned)

    # --- chain reads ---------------------------------------------------------------------------
    def head_number(self) -> int | None:
        with self._read() as txn:
            return self._read_number(txn, _HEAD)

    def head(self) -> Block | None:
        with self._read() as txn:
            head = self._read_number(txn, _HEAD)
            if head is None:
                return None
            return self._load_block_by_number(txn, head)

    def finalized_number(self) -> int | None:
        with self._read() as txn:
            return self._read_number(txn, _FINALIZED)

    def get_block_by_number(self, number: int) -> Block | None:
        if not _is_storable_number(number):
            return None
        with self._read() as txn:
            return self._load_block_by_number(txn, number)

    def get_block_by_hash(self, block_hash: bytes) -> Block | None:
        block_hash = _check_hash(block_hash, "block hash")
        cached = self._block_cache.get(block_hash)
        if cached is not None:
            return cached
        with self._read() as txn:
            return self._load_block(txn, block_hash)

    def get_header_by_number(self, number: int) -> BlockHeaderAPI | None:
        if not _is_storable_number(number):
            return None
        with self._read() as txn:
            block_hash = txn.get(number_key(number), db=self._canonical)
            if block_hash is None:
                return None
            cached = self._block_cache.get(bytes(block_hash))
            if cached is not None:
                return cached.header
            raw = txn.get(bytes(block_hash), db=self._headers)
        return None if raw is None else decode_header(bytes(raw))

    def get_block_hash(self, number: int) -> bytes | None:
        if not _is_storable_number(number):
            return None
        with self._read() as txn:
            block_hash = txn.get(number_key(number), db=self._canonical)
        return None if block_hash is None else bytes(block_hash)

    def get_receipts(self, block_hash: bytes) -> tuple[ReceiptAPI, ...]:
        block_hash = _check_hash(block_hash, "block hash")
        cached = self._receipt_cache.get(block_hash)
        if cached is not None:
            return cached if isinstance(cached, tuple) else tuple(cached)
        with self._read() as txn:
            raw = txn.get(block_hash, db=self._receipts)
        if raw is None:
            return ()
        receipts = decode_receipts(bytes(raw))
        self._receipt_cache.put(block_hash, receipts)
        return receipts

    def get_transaction_location(self, tx_hash: bytes) -> TransactionLocation | None:
        tx_hash = _check_hash(tx_hash, "transaction hash")
        with self._read() as txn:
            raw = txn.get(tx_hash, db=self._tx_locations)
        return None if raw is None else decode_location(bytes(raw))

    def get_block_logs(self, number: int) -> tuple[LogRecord, ...]:
        block = self.get_block_by_number(number)
        if block is None:
            return ()
        cached = self._log_cache.get(block.hash)
        if cached is not None:
            return cached
        logs = block_logs(block, self.get_receipts(block.hash))
        self._log_cache.put(block.hash, logs)
        return logs

    def get_certificate(self, number: int) -> bytes | None:
        if not _is_storable_number(number):
            return None
        with self._read() as txn:
            raw = txn.get(number_key(number), db=self._certificates)
        return None if raw is None else bytes(raw)

    # --- mempool journal -----------------------------------------------------------------------
    def journal_add(self, entries: Iterable[tuple[bytes, bytes]]) -> None:
        """Journal accepted transactions in order; durable on return.

        Hashes already journaled or already included in a block are skipped, so a transaction
        admitted while its block was being committed cannot linger in the journal.
        """
        checked: list[tuple[bytes, bytes]] = []
        for entry in entries:
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise ValueError("journal entries must be (tx hash, raw transaction) pairs")
            tx_hash = _check_hash(entry[0], "journal transaction hash")
            raw = entry[1]
            if not isinstance(raw, bytes) or not raw:
                raise ValueError("journal raw transaction must be non-empty bytes")
            checked.append((tx_hash, raw))
        if not checked:
            return
        with self._write() as txn:
            self._journal_append(txn, checked)

    def journal_remove(self, tx_hashes: Iterable[bytes]) -> None:
        checked = [_check_hash(tx_hash, "journal removal") for tx_hash in tx_hashes]
        if not checked:
            return
        with self._write() as txn:
            for tx_hash in checked:
                self._journal_delete(txn, tx_hash)

    def journal_entries(self) -> list[bytes]:
        """Raw journaled transactions, oldest first (the order they were accepted)."""
        with self._read() as txn, txn.cursor(db=self._journal) as cursor:
            return [bytes(raw) for raw in cursor.iternext(keys=False, values=True)]

    def journal_contains(self, tx_hash: bytes) -> bool:
        tx_hash = _check_hash(tx_hash, "journal transaction hash")
        with self._read() as txn:
            return txn.get(tx_hash, db=self._journal_seqs) is not None

    # --- metadata ------------------------------------------------------------------------------
    def get_meta(self, key: str) -> bytes | None:
        encoded = self._check_meta_key(key)
        with self._read() as txn:
            raw = txn.get(encoded, db=self._meta)
        return None if raw is None else bytes(raw)

    def put_meta(self, key: str, value: bytes) -> None:
        encoded = self._check_meta_key(key)
        if not isinstance(value, bytes):
            raise ValueError(f"meta value for {key!r} must be bytes, got {type(value).__name__}")
        with self._write() as txn:
            txn.put(encoded, value, db=self._meta)

    # --- internals -----------------------------------------------------------------------------
    def _require_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"chain store {self._path} is closed")

    @contextmanager
    def _read(self) -> Iterator[lmdb.Transaction]:
        self._require_open()
        with self._env.begin(buffers=False) as txn:
            yield txn

    @contextmanager
    def _write(self) -> Iterator[lmdb.Transaction]:
        """A write transaction that commits with fsync on normal exit and aborts on any error."""
        with self._write_lock:
            self._require_open()
            try:
                with self._env.begin(write=True) as txn:
                    yield txn
            except lmdb.MapFullError as error:
                raise StoreFullError(
                    f"chain store {self._path} is full; reopen it with a larger map_size"
                ) from error
            except lmdb.Error as error:
                if os.strerror(errno.ENOSPC) in str(error):
                    self.write_refusals += 1
                    raise StoreDiskFullError(
                        f"chain store {self._path}: no space left on its disk; the write was "
                        f"aborted whole (refused writes so far: {self.write_refusals})"
                    ) from error
                if os.strerror(errno.EIO) in str(error):  # LMDB's word for a short write
                    self.write_refusals += 1
                    raise StoreWriteError(
                        f"chain store {self._path}: its disk refused the write ({error}: a "
                        f"full disk writes short); the write was aborted whole (refused "
                        f"writes so far: {self.write_refusals})"
                    ) from error
                raise

    def _read_number(self, txn: lmdb.Transaction, key: bytes) -> int | None:
        raw = txn.get(key, db=self._chain)
        return None if raw is None else decode_number(bytes(raw))

    def _check_extends_head(self, txn: lmdb.Transaction, block: Block) -> None:
        head = self._read_number(txn, _HEAD)
        if head is None:
            if block.number != 0:
                raise ValueError(
                    f"the first block of an empty store must be genesis (0), got {block.number}"
                )
            return
        if block.number != head + 1:
            raise ValueError(f"block {block.number} does not follow the head {head}")
        stored_head_hash = txn.get(number_key(head), db=self._canonical)
        if stored_head_hash is None:
            raise CorruptRecordError(f"head {head} has no canonical hash")
        head_hash = bytes(stored_head_hash)
        parent_hash = bytes(block.header.parent_hash)
        if parent_hash != head_hash:
            raise ValueError(
                f"block {block.number} has parent 0x{parent_hash.hex()}, "
                f"the head is 0x{head_hash.hex()}"
            )

    def _check_finality_advance(self, txn: lmdb.Transaction, number: int) -> None:
        current = self._read_number(txn, _FINALIZED)
        if current is not None and number < current:
            raise ValueError(f"finalized number {number} is below the current {current}")

    def _journal_append(self, txn: lmdb.Transaction, entries: list[tuple[bytes, bytes]]
                        ) -> tuple[bytes, ...]:
        """Journal ``entries`` after the newest entry; the hashes actually added (those already
        journaled or included in a block are skipped)."""
        added: list[bytes] = []
        with txn.cursor(db=self._journal) as cursor:
            sequence = decode_number(bytes(cursor.key())) + 1 if cursor.last() else 0
        for tx_hash, raw in entries:
            if txn.get(tx_hash, db=self._journal_seqs) is not None:
                continue
            if txn.get(tx_hash, db=self._tx_locations) is not None:
                continue
            key = number_key(sequence)
            txn.put(key, raw, db=self._journal)
            txn.put(tx_hash, key, db=self._journal_seqs)
            added.append(tx_hash)
            sequence += 1
        return tuple(added)

    def _journal_delete(self, txn: lmdb.Transaction, tx_hash: bytes) -> None:
        sequence = txn.pop(tx_hash, db=self._journal_seqs)
        if sequence is not None:
            txn.delete(bytes(sequence), db=self._journal)

    def _load_block_by_number(self, txn: lmdb.Transaction, number: int) -> Block | None:
        block_hash = txn.get(number_key(number), db=self._canonical)
        if block_hash is None:
            return None
        cached = self._block_cache.get(bytes(block_hash))
        if cached is not None:
            return cached
        return self._load_block(txn, bytes(block_hash))

    def _load_block(self, txn: lmdb.Transaction, block_hash: bytes) -> Block | None:
        header_raw = txn.get(block_hash, db=self._headers)
        body_raw = txn.get(block_hash, db=self._bodies)
        if header_raw is None or body_raw is None:
            return None
        transactions, senders = decode_body(bytes(body_raw))
        block = Block(decode_header(bytes(header_raw)), transactions, senders)
        self._block_cache.put(block_hash, block)
        return block

    def _check_state_writes(self, state_writes: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
        if not isinstance(state_writes, Mapping):
            raise ValueError(f"state writes must be a mapping, got {type(state_writes).__name__}")
        writes: list[tuple[bytes, bytes]] = []
        for key, value in state_writes.items():
            if not isinstance(key, bytes) or not 0 < len(key) <= self._max_key_size:
                raise ValueError(
                    f"state key {key!r} must be 1..{self._max_key_size} bytes"
                )
            if not isinstance(value, bytes):
                raise ValueError(f"state value for 0x{key.hex()} must be bytes")
            writes.append((key, value))
        # Sorted keys let LMDB append along the B-tree instead of seeking for each write.
        writes.sort()
        return writes

    def _check_meta_key(self, key: str) -> bytes:
        if not isinstance(key, str) or not key:
            raise ValueError(f"meta key must be a non-empty str, got {key!r}")
        encoded = key.encode()
        if len(encoded) > self._max_key_size:
            raise ValueError(f"meta key {key[:40]!r}... exceeds {self._max_key_size} bytes")
        return encoded


def _check_executed_block(executed: ExecutedBlock) -> tuple[Block, Sequence[ReceiptAPI]]:
    if not isinstance(executed, ExecutedBlock) or not isinstance(executed.block, Block):
        raise ValueError(f"expected an ExecutedBlock, got {type(executed).__name__}")
    block = executed.block
    if not isinstance(block.header, PragueBlockHeader):
        raise ValueError(f"block header must be a Prague header, got {type(block.header).__name__}")
    if len(block.senders) != len(block.transactions):
        raise ValueError(
            f"block {block.number} has {len(block.transactions)} transactions "
            f"but {len(block.senders)} senders"
        )
    if len(executed.receipts) != len(block.transactions):
        raise ValueError(
            f"block {block.number} has {len(block.transactions)} transactions "
            f"but {len(executed.receipts)} receipts"
        )
    encodings = executed.receipt_encodings
    if encodings is not None and (
        len(encodings) != len(executed.receipts)
        or not all(isinstance(encoding, bytes) for encoding in encodings)
    ):
        raise ValueError(
            f"block {block.number} must have one receipt encoding (bytes) per receipt"
        )
    for tx in block.transactions:
        if not isinstance(tx, SignedTransactionAPI):
            raise ValueError(f"block transaction must be signed, got {type(tx).__name__}")
    for sender in block.senders:
        if not isinstance(sender, bytes) or len(sender) != ADDRESS_WIDTH:
            raise ValueError(f"sender {sender!r} is not a 20-byte address")
    if block.number > MAX_NUMBER:
        raise ValueError(f"block number {block.number} does not fit {NUMBER_WIDTH} bytes")
    return block, executed.receipts


def _check_hash(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_WIDTH:
        raise ValueError(f"{what} must be {HASH_WIDTH} bytes, got {value!r}")
    return value


def _check_number(value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_NUMBER:
        raise ValueError(f"{what} must be an int in 0..{MAX_NUMBER}, got {value!r}")


def _is_storable_number(value: int) -> bool:
    """Lookups by number answer None for anything that cannot be stored; negatives are errors."""
    _check_number_type(value)
    return value <= MAX_NUMBER


def _check_number_type(value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"block number must be a non-negative int, got {value!r}")
