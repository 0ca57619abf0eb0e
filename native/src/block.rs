//! One Ordo block on revm (Prague): block-start system writes, the forced-queue prelude, the
//! block's transactions, the block-end coinbase touch, then receipts, logs, gas, bloom and the
//! state, transactions and receipts roots (docs/state_transition.md 5-7).
//!
//! The same loop serves a producer (refused candidates are skipped) and a validator (a refused
//! transaction makes the block invalid), as `BlockRun.apply` does for py-evm.

use std::cell::Cell;

use revm::context::result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction};
use revm::context::{BlockEnv, CfgEnv, Context, ContextSetters, ContextTr, JournalTr, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::either::Either;
use revm::context_interface::transaction::{AccessList, AccessListItem, Authorization, SignedAuthorization};
use revm::handler::{post_execution, EvmTr, FrameResult, Handler, MainBuilder, MainContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{keccak256, Address, Log, TxKind, B256, U256};

use crate::rlp;
use crate::rules::{self, inclusion_error, SenderAccount, Tx, SET_CODE_TRANSACTION_TYPE, TX_BASE_GAS};
use crate::state::{BlockState, StateError};
use crate::trie::{ordered_root, NodeSource};

const HISTORY_BUFFER_LENGTH: u64 = 8191;
const HISTORY_SERVE_WINDOW: u64 = 8191;

/// The block's context and the parent facts execution needs.
pub struct BlockInput {
    pub parent_root: [u8; 32],
    pub parent_hash: B256,
    pub number: u64,
    pub coinbase: Address,
    pub timestamp: u64,
    pub gas_limit: u64,
    pub base_fee: u64,
    pub prev_randao: B256,
    pub chain_id: u64,
    /// Hashes of blocks `number - 1`, `number - 2`, ... at most 256 (BLOCKHASH).
    pub ancestors: Vec<B256>,
    /// EIP-4788 and EIP-2935 contracts: (address, the code hash py-evm installs) each; their
    /// storage is written at block start only where exactly that code is deployed (5.2).
    pub beacon_roots: (Address, B256),
    pub history: (Address, B256),
    /// The L1 data fee and fee vault (docs/state_transition.md 6.4); None without `l1Fee`.
    pub l1_fee: Option<L1Fee>,
}

/// One block's L1 data fee: the genesis's scalars and vault, the block's L1 prices.
#[derive(Clone)]
pub struct L1Fee {
    pub vault: Address,
    pub base_fee_scalar: U256,
    pub blob_base_fee_scalar: U256,
    pub l1_base_fee: U256,
    pub l1_blob_base_fee: U256,
    /// The GasPriceOracle: block start writes slot 0 = the L1 fee word, 1 and 2 the scalars.
    pub oracle: Address,
}

impl L1Fee {
    /// `l1_gas_used(raw) * (16 * base_scalar * l1_base_fee + blob_scalar * l1_blob_base_fee)
    /// // 16_000_000`, as `ordo.core.l1_fee.l1_fee` (scalars < 2^32, prices < 2^128, so no
    /// product leaves 256 bits).
    pub fn fee(&self, encoded: &[u8]) -> U256 {
        let zeros = encoded.iter().filter(|b| **b == 0).count() as u64;
        let l1_gas = U256::from(4 * zeros + 16 * (encoded.len() as u64 - zeros));
        let scaled = U256::from(16) * self.base_fee_scalar * self.l1_base_fee
            + self.blob_base_fee_scalar * self.l1_blob_base_fee;
        l1_gas * scaled / U256::from(16_000_000u64)
    }
}

/// One forced-queue item (5.3); an undecodable forced transaction is `Transaction(None)`.
pub enum Forced {
    Deposit(Address, U256),
    Transaction(Option<Tx>),
}

pub struct Receipt {
    pub success: bool,
    pub cumulative_gas: u64,
    pub logs: Vec<Log>,
    pub bloom: [u8; 256],
}

pub struct BlockOutput {
    /// Indices into the block's candidates (build) or transactions (execute) that were included,
    /// after the forced ones.
    pub included: Vec<usize>,
    /// Indices into the forced items of the forced transactions that were included.
    pub forced_included: Vec<usize>,
    pub skipped: Vec<(usize, String)>,
    pub receipts: Vec<Receipt>,
    pub gas_used: u64,
    pub bloom: [u8; 256],
    pub state_root: [u8; 32],
    pub transactions_root: [u8; 32],
    pub receipts_root: [u8; 32],
    /// Each receipt's consensus encoding (the receipts root's leaves), handed to the store so
    /// that a block's receipts are encoded once, here, not again in Python at commit.
    pub receipt_encodings: Vec<Vec<u8>>,
    pub writes: Vec<([u8; 32], Vec<u8>)>,
}

pub enum BlockError {
    /// The block is invalid (execute only): the reason, as `InvalidBlock` carries it.
    Invalid(String),
    /// The state could not be read, or a caller's iterator failed.
    Failed(String),
}

impl From<StateError> for BlockError {
    fn from(error: StateError) -> Self {
        BlockError::Failed(error.0)
    }
}

/// Where the block's transactions come from.
pub enum Transactions<'a> {
    /// A producer's candidates in order, read one by one until the block is full.
    Build(&'a mut dyn FnMut() -> Result<Option<Tx>, String>),
    /// A proposed block's transactions, forced ones first.
    Execute(Vec<Tx>),
}

type OrdoContext<S> = Context<BlockEnv, TxEnv, CfgEnv, BlockState<S>>;
type OrdoEvm<S> = MainnetEvm<OrdoContext<S>>;
type OrdoError = EVMError<StateError, InvalidTransaction>;

/// revm's mainnet handler, which also records the refund counter before EIP-3529's cap: the
/// block gas figure py-evm puts in receipts and headers needs it (6.3).
struct OrdoHandler<S: NodeSource> {
    raw_refund: Cell<i64>,
    _source: std::marker::PhantomData<S>,
}

impl<S: NodeSource> Handler for OrdoHandler<S> {
    type Evm = OrdoEvm<S>;
    type Error = OrdoError;
    type HaltReason = HaltReason;

    fn refund(
        &self,
        evm: &mut Self::Evm,
        exec_result: &mut FrameResult,
        eip7702_refund: i64,
    ) -> Result<(), Self::Error> {
        self.raw_refund.set(exec_result.gas().refunded() + eip7702_refund);
        post_execution::refund(&evm.ctx().cfg().gas_params, exec_result.gas_mut(), eip7702_refund);
        Ok(())
    }
}

/// py-evm's `finalize_gas_used`: the gas a receipt and the block count for one transaction.
/// It equals the gas charged except when the EIP-7623 floor applies and the refund was capped
/// (docs/state_transition.md 6.3, 11.1).
fn block_gas(spent: u64, raw_refund: i64, floor: u64) -> u64 {
    let refund = raw_refund.max(0) as u64;
    let charged_refund = refund.min(spent / 5);
    let floor_extra = floor.saturating_sub(spent - charged_refund);
    let consumed = spent + floor_extra;
    consumed - refund.min(consumed / 5)
}

fn tx_env(tx: &Tx) -> Result<TxEnv, String> {
    let gas = tx.gas.value.and_then(|v| u64::try_from(v).ok()).ok_or("gas uint64 overflow")?;
    let max_fee = tx.max_fee.value.and_then(|v| u128::try_from(v).ok());
    let tip = tx.tip.value.and_then(|v| u128::try_from(v).ok());
    let (Some(max_fee), Some(tip)) = (max_fee, tip) else {
        return Err("rejected by the EVM: fee per gas above 2^128".into());
    };
    let nonce = tx.nonce.value.and_then(|v| u64::try_from(v).ok()).ok_or("nonce over 64 bits")?;
    let access_list = AccessList(
        tx.access_list
            .iter()
            .map(|(address, slots)| AccessListItem {
                address: *address,
                storage_keys: slots.iter().map(|s| B256::from(s.to_be_bytes::<32>())).collect(),
            })
            .collect(),
    );
    let authorization_list = if tx.type_id == SET_CODE_TRANSACTION_TYPE {
        tx.auths
            .iter()
            .map(|auth| {
                // Out-of-range fields make the authorization invalid, so revm skips it, as
                // py-evm does (docs/state_transition.md 11.3): nonce 2^64-1 is refused by
                // EIP-7702 itself, a zero signature never recovers.
                let nonce = auth.nonce.value.and_then(|v| u64::try_from(v).ok()).unwrap_or(u64::MAX);
                let y_parity = auth.y_parity.value.and_then(|v| u8::try_from(v).ok()).unwrap_or(u8::MAX);
                let inner = Authorization {
                    chain_id: auth.chain_id.value.unwrap_or(U256::MAX),
                    address: auth.address,
                    nonce,
                };
                let r = auth.r.value.unwrap_or(U256::ZERO);
                let s = auth.s.value.unwrap_or(U256::ZERO);
                Either::Left(SignedAuthorization::new_unchecked(inner, y_parity, r, s))
            })
            .collect()
    } else {
        Vec::new()
    };
    let typed_fees = tx.type_id >= 2;
    Ok(TxEnv {
        tx_type: tx.type_id,
        caller: tx.sender,
        gas_limit: gas,
        gas_price: max_fee,
        kind: match tx.to {
            Some(to) => TxKind::Call(to),
            None => TxKind::Create,
        },
        value: tx.value.value.unwrap_or(U256::MAX),
        data: tx.data.clone(),
        nonce,
        chain_id: tx.chain_id.as_ref().and_then(|c| c.value).and_then(|c| u64::try_from(c).ok()),
        access_list,
        gas_priority_fee: if typed_fees { Some(tip) } else { None },
        blob_hashes: Vec::new(),
        max_fee_per_blob_gas: 0,
        authorization_list,
    })
}

fn add_to_bloom(bloom: &mut [u8; 256], item: &[u8]) {
    let hash = keccak256(item);
    for i in 0..3 {
        let bit = (((hash[2 * i] as usize) << 8) | hash[2 * i + 1] as usize) & 2047;
        bloom[255 - bit / 8] |= 1 << (bit % 8);
    }
}

fn logs_bloom(logs: &[Log]) -> [u8; 256] {
    let mut bloom = [0u8; 256];
    for log in logs {
        add_to_bloom(&mut bloom, log.address.as_slice());
        for topic in log.topics() {
            add_to_bloom(&mut bloom, topic.as_slice());
        }
    }
    bloom
}

/// `type ‖ rlp([status, cumulative gas, bloom, logs])` (legacy: no type byte), 7.1.
fn encode_receipt(type_id: u8, receipt: &Receipt, bloom: &[u8; 256]) -> Vec<u8> {
    let mut payload = Vec::new();
    rlp::append_bytes(&mut payload, if receipt.success { &[1u8] } else { &[] });
    rlp::append_uint(&mut payload, &receipt.cumulative_gas.to_be_bytes());
    rlp::append_bytes(&mut payload, bloom);
    let mut logs = Vec::new();
    for log in &receipt.logs {
        let mut entry = Vec::new();
        rlp::append_bytes(&mut entry, log.address.as_slice());
        let mut topics = Vec::new();
        for topic in log.topics() {
            rlp::append_bytes(&mut topics, topic.as_slice());
        }
        entry.extend(rlp::wrap_list(&topics));
        rlp::append_bytes(&mut entry, &log.data.data);
        logs.extend(rlp::wrap_list(&entry));
    }
    payload.extend(rlp::wrap_list(&logs));
    let body = rlp::wrap_list(&payload);
    if type_id == 0 {
        body
    } else {
        let mut out = Vec::with_capacity(body.len() + 1);
        out.push(type_id);
        out.extend(body);
        out
    }
}

struct Run<S: NodeSource> {
    evm: OrdoEvm<S>,
    l1_fee: Option<L1Fee>,
    base_fee: u64,
    gas_limit: u64,
    chain_id: u64,
    gas_used: u64,
    bloom: [u8; 256],
    receipts: Vec<Receipt>,
    transactions: Vec<Vec<u8>>,
    receipt_encodings: Vec<Vec<u8>>,
}

impl<S: NodeSource> Run<S> {
    fn state(&mut self) -> &mut BlockState<S> {
        &mut self.evm.ctx.journaled_state.database
    }

    /// Includes `tx` (Ok(None)) or leaves the state untouched and says why not (Ok(Some)).
    fn apply(&mut self, tx: &Tx) -> Result<Option<String>, BlockError> {
        let (nonce, balance, code_hash) = self.state().account(tx.sender)?.unwrap_or((
            0,
            U256::ZERO,
            revm::primitives::KECCAK_EMPTY,
        ));
        let code = self.state().code(code_hash)?;
        let code_bytes = code.original_bytes();
        let account = SenderAccount { nonce, balance, code: &code_bytes };
        let remaining = self.gas_limit - self.gas_used;
        let l1_fee = self.l1_fee.as_ref().map_or(U256::ZERO, |l1| l1.fee(&tx.encoded));
        if let Some(reason) =
            inclusion_error(tx, &account, self.base_fee, remaining, self.chain_id, l1_fee)
        {
            return Ok(Some(reason));
        }
        let env = match tx_env(tx) {
            Ok(env) => env,
            Err(reason) => return Ok(Some(reason)),
        };
        // 6.4: the L1 fee is paid with the gas purchase, before anything runs.
        if self.l1_fee.is_some() {
            self.state().sub_balance(tx.sender, l1_fee)?;
        }
        self.evm.ctx.set_tx(env);
        let mut handler = OrdoHandler::<S> { raw_refund: Cell::new(0), _source: Default::default() };
        let outcome = handler.run(&mut self.evm);
        let changes = self.evm.ctx.journaled_state.finalize();
        let result = match outcome {
            Ok(result) => result,
            Err(EVMError::Database(error)) => return Err(error.into()),
            Err(error) => {
                if self.l1_fee.is_some() {
                    self.state().add_balance(tx.sender, l1_fee)?;
                }
                return Ok(Some(format!("rejected by the EVM: {error}")));
            }
        };
        self.state().commit_transaction(changes)?;
        if let Some(l1) = self.l1_fee.clone() {
            // 6.4: the base fee of the gas charged and the L1 fee go to the vault.
            let share = U256::from(result.tx_gas_used()) * U256::from(self.base_fee) + l1_fee;
            self.state().add_balance(l1.vault, share)?;
        }
        let gas = result.gas();
        self.gas_used += block_gas(gas.total_gas_spent(), handler.raw_refund.get(), gas.floor_gas());
        let success = matches!(result, ExecutionResult::Success { .. });
        let logs = result.into_logs();
        let bloom = logs_bloom(&logs);
        let receipt = Receipt { success, cumulative_gas: self.gas_used, logs, bloom };
        for (all, one) in self.bloom.iter_mut().zip(bloom.iter()) {
            *all |= one;
        }
        self.receipt_encodings.push(encode_receipt(tx.type_id, &receipt, &bloom));
        self.transactions.push(tx.encoded.clone());
        self.receipts.push(receipt);
        Ok(None)
    }
}

fn system_writes<S: NodeSource>(state: &mut BlockState<S>, input: &BlockInput) -> Result<(), StateError> {
    if let Some(l1) = &input.l1_fee {
        let word = (l1.l1_base_fee << 128) | l1.l1_blob_base_fee;
        state.set_slot(l1.oracle, U256::ZERO, word)?;
        state.set_slot(l1.oracle, U256::from(1), l1.base_fee_scalar)?;
        state.set_slot(l1.oracle, U256::from(2), l1.blob_base_fee_scalar)?;
    }
    let (beacon, beacon_code) = input.beacon_roots;
    if state.account(beacon)?.map(|a| a.2) == Some(beacon_code) {
        let slot = input.timestamp % HISTORY_BUFFER_LENGTH;
        state.set_slot(beacon, U256::from(slot), U256::from(input.timestamp))?;
        state.set_slot(beacon, U256::from(slot + HISTORY_BUFFER_LENGTH), U256::ZERO)?;
    }
    let (history, history_code) = input.history;
    if state.account(history)?.map(|a| a.2) == Some(history_code) {
        let slot = (input.number - 1) % HISTORY_SERVE_WINDOW;
        state.set_slot(history, U256::from(slot), U256::from_be_bytes(input.parent_hash.0))?;
    }
    Ok(())
}

/// Runs one block over `source` (the committed state at `input.parent_root`).
pub fn run_block<S: NodeSource>(
    source: S,
    input: &BlockInput,
    forced: &[Forced],
    transactions: Transactions<'_>,
) -> Result<BlockOutput, BlockError> {
    let mut state = BlockState::new(source, input.parent_root, input.number, input.ancestors.clone());
    system_writes(&mut state, input)?;
    let mut block = BlockEnv::default();
    block.number = U256::from(input.number);
    block.beneficiary = input.coinbase;
    block.timestamp = U256::from(input.timestamp);
    block.gas_limit = input.gas_limit;
    block.basefee = input.base_fee;
    block.difficulty = U256::ZERO;
    block.prevrandao = Some(input.prev_randao);
    block.blob_excess_gas_and_price = Some(BlobExcessGasAndPrice::new_with_spec(0, SpecId::PRAGUE));
    let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
    cfg.chain_id = input.chain_id;
    let evm = Context::mainnet().with_db(state).with_block(block).with_cfg(cfg).build_mainnet();
    let mut run = Run {
        evm,
        l1_fee: input.l1_fee.clone(),
        base_fee: input.base_fee,
        gas_limit: input.gas_limit,
        chain_id: input.chain_id,
        gas_used: 0,
        bloom: [0u8; 256],
        receipts: Vec::new(),
        transactions: Vec::new(),
        receipt_encodings: Vec::new(),
    };
    let mut forced_included = Vec::new();
    for (index, item) in forced.iter().enumerate() {
        match item {
            Forced::Deposit(recipient, amount) => run.state().add_balance(*recipient, *amount)?,
            Forced::Transaction(None) => {}
            Forced::Transaction(Some(tx)) => {
                if run.apply(tx)?.is_none() {
                    forced_included.push(index);
                }
            }
        }
    }
    let mut included = Vec::new();
    let mut skipped = Vec::new();
    match transactions {
        Transactions::Build(next) => {
            let mut refused: std::collections::HashSet<Address> = Default::default();
            let mut index = 0usize;
            while run.gas_limit - run.gas_used >= TX_BASE_GAS {
                let Some(tx) = next().map_err(BlockError::Failed)? else { break };
                if refused.contains(&tx.sender) {
                    skipped.push((index, crate::SENDER_ALREADY_SKIPPED.to_string()));
                } else if let Some(reason) = run.apply(&tx)? {
                    skipped.push((index, reason));
                    refused.insert(tx.sender);
                } else {
                    included.push(index);
                }
                index += 1;
            }
        }
        Transactions::Execute(txs) => {
            let leading = forced_included.len();
            let forced_encodings = &run.transactions[..leading];
            let matches = txs.len() >= leading
                && txs[..leading].iter().zip(forced_encodings).all(|(a, b)| a.encoded == *b);
            if !matches {
                return Err(BlockError::Invalid(format!(
                    "the block does not start with the {leading} valid forced transactions of \
                     its forced-queue items, in queue order"
                )));
            }
            for (index, tx) in txs.iter().enumerate().skip(leading) {
                if let Some(reason) = run.apply(tx)? {
                    let hash = keccak256(&tx.encoded);
                    return Err(BlockError::Invalid(format!(
                        "transaction {index} (0x{}): {reason}",
                        rules::hex(hash.as_slice())
                    )));
                }
                included.push(index);
            }
        }
    }
    // 5.5: py-evm's zero block reward creates the coinbase account when absent.
    run.state().add_balance(input.coinbase, U256::ZERO)?;
    let committed = run.state().commit_block()?;
    Ok(BlockOutput {
        included,
        forced_included,
        skipped,
        gas_used: run.gas_used,
        bloom: run.bloom,
        state_root: committed.state_root,
        transactions_root: ordered_root(&run.transactions),
        receipts_root: ordered_root(&run.receipt_encodings),
        receipts: run.receipts,
        receipt_encodings: run.receipt_encodings,
        writes: committed.writes,
    })
}
