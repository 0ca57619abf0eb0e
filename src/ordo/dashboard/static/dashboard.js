// Ordo dashboard: everything shown comes from this node's JSON-RPC over its own WebSocket.
// On every (re)connection the page rebuilds its state from scratch, so a node restart or a
// missed notification can never leave stale rows behind.
"use strict";

const RECENT_BLOCKS = 20;      // rows in the recent-blocks table
const CHART_BLOCKS = 60;       // blocks kept for the chart and the produced-blocks counts
const RATE_WINDOW = 10;        // blocks averaged into one transactions-per-second point
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
const WEI_PER_ETH = 10n ** 18n;

const state = {
  socket: null, nextId: 1, pending: new Map(), backoffMs: BACKOFF_MIN_MS,
  blocks: new Map(),          // number -> {number, hash, timestamp, txCount, builder, commit}
  status: null, evidence: [], generation: 0, lastError: null,
  batches: new Map(),         // batch index -> {index, l1Tx, l1Block, postedAt}, as seen live
  statusAt: 0,                // Date.now() when state.status arrived (the window counts down)
};

// ---- pure helpers -------------------------------------------------------------------------

function hexToInt(value) {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]+$/.test(value)) return null;
  return parseInt(value, 16);
}

function hexToBigInt(value) {
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return null;
}

function formatEth(wei) {
  const amount = hexToBigInt(wei);
  if (amount === null) return "—";
  const whole = amount / WEI_PER_ETH;
  const fraction = (amount % WEI_PER_ETH).toString().padStart(18, "0").slice(0, 4)
    .replace(/0+$/, "");
  return whole.toLocaleString("en-US") + (fraction ? "." + fraction : "") + " ETH";
}

// Stake is voting power as the node counts it; shown exactly, grouped for reading.
function formatStake(value) {
  const amount = hexToBigInt(value);
  return amount === null ? "—" : amount.toLocaleString("en-US");
}

function shortHash(hash) {
  return typeof hash === "string" && hash.length > 14 ? hash.slice(0, 10) + "…" + hash.slice(-4)
    : String(hash);
}

// The builder names itself in the first 20 bytes of extraData (the schedule follows it).
function builderOf(extraData) {
  if (typeof extraData !== "string" || extraData.length < 42) return null;
  return "0x" + extraData.slice(2, 42).toLowerCase();
}

// Transactions per second over a sliding window of blocks, from their own timestamps: the
// transactions of the later blocks divided by the time from the window's first block to its last.
function rateSeries(blocks, window) {
  const points = [];
  for (let end = 1; end < blocks.length; end++) {
    const start = Math.max(0, end - window);
    const seconds = blocks[end].timestamp - blocks[start].timestamp;
    if (seconds <= 0) continue;
    let txs = 0;
    for (let i = start + 1; i <= end; i++) txs += blocks[i].txCount;
    points.push({ number: blocks[end].number, rate: txs / seconds });
  }
  return points;
}

// ---- L1 and staking (pure) ----------------------------------------------------------------

// Token amounts arrive as decimal strings of 18-decimal units (the pool's GovernanceToken).
function formatTokens(units) {
  const amount = hexToBigInt(units);
  if (amount === null) return "—";
  const whole = amount / WEI_PER_ETH;
  const fraction = (amount % WEI_PER_ETH).toString().padStart(18, "0").replace(/0+$/, "");
  return whole.toLocaleString("en-US") + (fraction ? "." + fraction : "");
}

// The staking view of ordo_status.l1, or null when the node has none (no L1, no signer key,
// not read yet).
function stakingView(status) {
  const l1 = status && status.l1;
  const staking = l1 && l1.staking;
  const view = staking && staking.view;
  return view && typeof view === "object" && Array.isArray(view.members) ? view : null;
}

// The rule for "slashed": this node holds double-signing evidence against the signer, or its
// lock on L1 is below the stake its epoch froze while it still has a record (the pool lowers a
// lock only when it slashes; relock only raises it, unlock keeps it until withdraw).
function standingOf(member, accused) {
  if (accused) return "slashed";
  if (!member) return null;
  const locked = hexToBigInt(member.locked);
  const frozen = hexToBigInt(member.epoch_stake);
  if (member.status === "none") return "withdrawn";
  if (locked !== null && frozen !== null && locked < frozen) return "slashed";
  return String(member.status);
}

// One row per sequencer: the consensus set of ordo_status, then L1 members it does not have
// yet (the L1 epoch and the L2 epoch change at different moments).
function sequencerRows(status, evidence, produced) {
  const view = stakingView(status);
  const accused = new Set((evidence || []).map((e) => String(e.validator).toLowerCase()));
  const members = new Map();
  for (const m of view ? view.members : []) members.set(String(m.signer).toLowerCase(), m);
  const addresses = [];
  for (const v of Array.isArray(status.validators) ? status.validators : []) {
    addresses.push({ address: String(v.address).toLowerCase(), stake: v.stake });
  }
  for (const address of members.keys()) {
    if (!addresses.some((a) => a.address === address)) addresses.push({ address, stake: null });
  }
  const onL1 = Boolean(status.l1);
  return addresses.map(({ address, stake }) => {
    const member = members.get(address) || null;
    const standing = standingOf(member, accused.has(address));
    return {
      address,
      stake: member ? formatTokens(member.epoch_stake)
        : onL1 ? formatTokens(stake) : formatStake(stake),
      locked: member ? formatTokens(member.locked) : null,
      status: standing || (view ? "not in the L1 set" : onL1 ? "L1 view not read yet"
        : "genesis set"),
      produced: produced.get(address) || 0,
      rewards: member ? formatTokens(member.rewards_owed)
        : view ? "—" : "not connected to L1 yet",
    };
  });
}

// Batches posted to L1: ordo_status.l1.batcher names the last one; the page keeps every last
// batch it has seen while open (newest first). Nothing is shown that the node did not report.
function batchOf(l1) {
  const batcher = l1 && l1.batcher;
  if (!batcher || typeof batcher !== "object") return null;
  const index = hexToInt(batcher.lastBatchIndex);
  if (index === null) return null;
  return { index, l1Tx: batcher.lastBatchL1Tx || null, l1Block: hexToInt(batcher.lastBatchL1Block),
    postedAt: hexToInt(batcher.lastPostedAt) };
}

function batchTotals(l1) {
  const batcher = l1 && l1.batcher;
  if (!batcher || typeof batcher !== "object") return null;
  const posted = hexToInt(batcher.batchesPosted);
  const gas = hexToInt(batcher.l1GasSpent);
  return "Batches posted: " + (posted === null ? "—" : posted.toLocaleString("en-US")) +
    " · L1 gas spent: " + (gas === null ? "—" : gas.toLocaleString("en-US"));
}

// Slashing events: equivocations this node saw (ordo_getEvidence), and members whose lock the
// pool lowered (seen in the staking view, also when this node never saw the votes).
function slashingRows(evidence, view) {
  const rows = [];
  const seen = new Set();
  for (const item of evidence || []) {
    const validator = String(item.validator).toLowerCase();
    seen.add(validator);
    rows.push({ validator, offence: "equivocation (" + item.voteType + ")",
      height: item.height, round: item.round, source: "ordo_getEvidence" });
  }
  for (const m of view ? view.members : []) {
    const locked = hexToBigInt(m.locked);
    const frozen = hexToBigInt(m.epoch_stake);
    if (m.status === "none" || locked === null || frozen === null || locked >= frozen) continue;
    rows.push({ validator: String(m.signer).toLowerCase(),
      offence: "lock lowered on L1: " + formatTokens(m.epoch_stake) + " → " +
        formatTokens(m.locked), height: "—", round: "—", source: "L1 block " + view.l1_block });
  }
  return rows;
}

// ---- settlement (pure) --------------------------------------------------------------------

const DISPUTES = { none: "none", open: "open", lost: "lost: output disproved",
  defended: "defended" };

// ordo_status.l1.settlement as the page uses it, or null when the node reports none (not
// anchored to L1, or its genesis names no inbox). Batch fields stay null until a batch landed.
function settlementOf(l1) {
  const s = l1 && l1.settlement;
  if (!s || typeof s !== "object") return null;
  return {
    batchIndex: hexToInt(s.batchIndex), outputRoot: typeof s.outputRoot === "string"
      ? s.outputRoot : null, l2Block: hexToInt(s.l2Block),
    finalizableAt: hexToInt(s.finalizableAt), secondsLeft: hexToInt(s.secondsLeft),
    final: s.final === true, dispute: typeof s.dispute === "string" ? s.dispute : null,
    portal: typeof s.portal === "string" ? s.portal : null, portalBalance: s.portalBalance,
    l1Block: hexToInt(s.l1Block), error: typeof s.error === "string" ? s.error : null,
  };
}

// Seconds as an operator reads a window: "42 s", "12 min 05 s", "3 h 02 min", "6 d 23 h".
function formatDuration(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + pad(s % 60) + " s";
  if (s < 86400) return Math.floor(s / 3600) + " h " + pad(Math.floor(s % 3600 / 60)) + " min";
  return Math.floor(s / 86400) + " d " + pad(Math.floor(s % 86400 / 3600)) + " h";
}

// The challenge window of the latest output, ``elapsed`` seconds after the node's answer
// arrived (the node's secondsLeft already counts from its confirmed L1 block to its answer).
// Final only when the inbox said so: a window that ran out here may still meet a dispute.
function windowState(settlement, elapsed) {
  if (!settlement || settlement.batchIndex === null) return { kind: "none", text: "—" };
  if (settlement.final) return { kind: "final", text: "final" };
  if (settlement.dispute === "lost") return { kind: "lost", text: "not final: output disproved" };
  const left = settlement.secondsLeft === null ? null
    : Math.max(0, settlement.secondsLeft - Math.max(0, elapsed));
  if (left === null) return { kind: "none", text: "—" };
  if (left > 0) return { kind: "open", text: formatDuration(left) + " left" };
  return settlement.dispute === "open" ? { kind: "disputed", text: "window over; dispute open" }
    : { kind: "closing", text: "window over; final once L1 confirms it" };
}

// ---- dispute games (pure) -----------------------------------------------------------------

// ordo_status.l1.disputes as table rows: this node's challenger's open games (side, claims,
// its bonds, the least time left to answer, until every clock ran out, what it cannot answer);
// {off: reason} when the challenger does not run, null when the node reports none.
function disputeRows(l1) {
  const d = l1 && l1.disputes;
  if (!d || typeof d !== "object") return null;
  if (d.enabled !== true) return { off: typeof d.reason === "string" ? d.reason : "off", rows: [] };
  const games = Array.isArray(d.games) ? d.games : [];
  return {
    off: null,
    error: typeof d.error === "string" ? d.error : null,
    rows: games.map((g) => ({
      game: hexToInt(g.gameId), batch: hexToInt(g.batchIndex),
      status: typeof g.status === "string" ? g.status : "—",
      side: typeof g.side === "string" ? g.side : "—",
      claims: hexToInt(g.claims) ?? "—",
      bonds: formatEth(g.ownBonds),
      answer: hexToInt(g.secondsToAnswer) === null ? "—"
        : formatDuration(hexToInt(g.secondsToAnswer)),
      resolve: hexToInt(g.secondsToResolve) === null ? "—"
        : hexToInt(g.secondsToResolve) === 0 ? "now" : formatDuration(hexToInt(g.secondsToResolve)),
      blocked: Array.isArray(g.blocked) ? g.blocked.length : 0,
    })),
  };
}

// ---- JSON-RPC over the WebSocket ----------------------------------------------------------

function call(method, params) {
  return new Promise((resolve, reject) => {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      reject(new Error("not connected"));
      return;
    }
    const id = state.nextId++;
    state.pending.set(id, { resolve, reject });
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  });
}

function onMessage(event) {
  let message;
  try { message = JSON.parse(event.data); } catch (error) { return; }
  if (message && message.method === "eth_subscription") {
    const head = message.params && message.params.result;
    if (head) onNewHead(head, state.generation);
    return;
  }
  const waiter = message && state.pending.get(message.id);
  if (!waiter) return;
  state.pending.delete(message.id);
  if (message.error) waiter.reject(new Error(message.error.message || "RPC error"));
  else waiter.resolve(message.result);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(scheme + "//" + location.host + "/");
  state.socket = socket;
  setConnection("connecting", "connecting…");
  socket.onmessage = onMessage;
  socket.onopen = () => resync(socket);
  socket.onclose = () => {
    if (state.socket !== socket) return;
    state.socket = null;
    state.generation++;
    for (const waiter of state.pending.values()) waiter.reject(new Error("connection closed"));
    state.pending.clear();
    const delay = state.backoffMs;
    state.backoffMs = Math.min(BACKOFF_MAX_MS, state.backoffMs * 2);
    const why = state.lastError ? " (" + state.lastError + ")" : "";
    state.lastError = null;
    setConnection("down", "disconnected" + why + " · retrying in " + (delay / 1000).toFixed(1) +
      " s");
    setTimeout(connect, delay);
  };
}

async function resync(socket) {
  const generation = ++state.generation;
  try {
    await call("eth_subscribe", ["newHeads"]);
    const status = checkedStatus(await call("ordo_status", []));
    if (generation !== state.generation) return;
    state.blocks = new Map();
    state.batches = new Map();
    const head = hexToInt(status.latestBlock) || 0;
    const first = Math.max(1, head - CHART_BLOCKS + 1);
    const numbers = [];
    for (let n = first; n <= head; n++) numbers.push(n);
    await Promise.all(numbers.map((n) => loadBlock(n, generation)));
    await refreshStatus(generation, status);
    state.backoffMs = BACKOFF_MIN_MS;
    setConnection("live", "live");
  } catch (error) {
    if (generation === state.generation && socket.readyState === WebSocket.OPEN) {
      state.lastError = error.message;
      socket.close();
    }
  }
}

async function loadBlock(number, generation) {
  const hexNumber = "0x" + number.toString(16);
  const [block, commit] = await Promise.all([
    call("eth_getBlockByNumber", [hexNumber, false]),
    call("ordo_getCommit", [hexNumber]),
  ]);
  if (generation !== state.generation || !block) return;
  state.blocks.set(number, {
    number, hash: block.hash, timestamp: hexToInt(block.timestamp) || 0,
    txCount: Array.isArray(block.transactions) ? block.transactions.length : 0,
    builder: builderOf(block.extraData), commit,
  });
  const keep = [...state.blocks.keys()].sort((a, b) => b - a).slice(CHART_BLOCKS);
  for (const old of keep) state.blocks.delete(old);
}

function checkedStatus(status) {
  if (!status || typeof status !== "object" || Array.isArray(status)) {
    throw new Error("ordo_status answered something that is not an object");
  }
  return status;
}

async function refreshStatus(generation, known) {
  const status = checkedStatus(known || await call("ordo_status", []));
  let evidence = state.evidence;
  if (!state.status || status.evidence !== state.status.evidence || known) {
    evidence = await call("ordo_getEvidence", []);
  }
  if (generation !== state.generation) return;
  state.status = status;
  state.statusAt = Date.now();
  state.evidence = Array.isArray(evidence) ? evidence : [];
  render();
}

async function onNewHead(head, generation) {
  const number = hexToInt(head.number);
  if (number === null) return;
  try {
    // A gap (missed notification) is filled so that counts and rates stay exact.
    const newest = Math.max(0, ...state.blocks.keys());
    const from = newest > 0 ? Math.max(newest + 1, number - CHART_BLOCKS + 1) : number;
    const numbers = [];
    for (let n = from; n <= number; n++) numbers.push(n);
    await Promise.all(numbers.map((n) => loadBlock(n, generation)));
    await refreshStatus(generation, null);
  } catch (error) {
    // The socket closing is handled by onclose; nothing else to do here.
  }
}

// ---- rendering ----------------------------------------------------------------------------

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setText(id, text) { document.getElementById(id).textContent = text; }

function setConnection(kind, text) {
  const badge = document.getElementById("connection");
  badge.className = "connection " + kind;
  badge.dataset.state = kind;
  badge.textContent = text;
}

function sortedBlocks() {
  return [...state.blocks.values()].sort((a, b) => a.number - b.number);
}

function render() {
  const status = state.status;
  const blocks = sortedBlocks();
  setText("chain-id", hexToInt(status.chainId) ?? "—");
  setText("epoch", hexToInt(status.epoch) ?? "—");
  setText("producer", status.producer || "none");
  setText("latest", hexToInt(status.latestBlock) ?? "—");
  setText("finalized", hexToInt(status.finalizedBlock) ?? "—");
  setText("round-step", (hexToInt(status.round) ?? "—") + " / " + (status.step || "—"));
  setText("peers", Array.isArray(status.peers) ? status.peers.length : "—");
  setText("client-version", status.clientVersion || "");
  renderL1(status);
  renderFailover(status, blocks);
  renderRate(blocks);
  renderValidators(status, blocks);
  renderBlocks(blocks);
  renderBatches(status);
  renderFees(status);
  renderSettlement(status);
  renderSlashing(status);
}

// The failover rule: a block shown was decided in a round above 0 (its certificate's round: the
// first-round producer did not get it through), or this node is deciding in a round above 0
// now. ordo_status does not carry the producer order, so "producer != first in order" cannot
// be checked from the page; a later round is what a failover is.
function renderFailover(status, blocks) {
  const badge = document.getElementById("failover");
  const round = hexToInt(status.round) || 0;
  const last = [...blocks].reverse().find((b) => b.commit && hexToInt(b.commit.round) > 0);
  if (round > 0) {
    badge.textContent = "failover in progress: round " + round + " at height " +
      hexToInt(status.height);
  } else if (last) {
    badge.textContent = "failover at height " + last.number + " (round " +
      hexToInt(last.commit.round) + ")";
  }
  badge.hidden = !(round > 0 || last);
}

function renderRate(blocks) {
  const points = rateSeries(blocks, RATE_WINDOW);
  const latest = points.length ? points[points.length - 1].rate : null;
  const tps = document.getElementById("tps");
  tps.textContent = latest === null ? "—" : latest.toFixed(2);
  tps.dataset.blocks = String(blocks.length);
  setText("tps-window", points.length ? "(" + RATE_WINDOW + "-block average, blocks " +
    points[0].number + "–" + points[points.length - 1].number + ", peak " +
    Math.max(...points.map((p) => p.rate)).toFixed(2) + ")" : "(waiting for blocks)");
  drawChart(document.getElementById("tps-chart"), points);
}

function drawChart(svg, points) {
  const ns = "http://www.w3.org/2000/svg";
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const width = 1000, height = 160, pad = 8;
  for (const y of [0.25, 0.5, 0.75]) {
    const line = document.createElementNS(ns, "line");
    line.setAttribute("class", "grid");
    line.setAttribute("x1", "0"); line.setAttribute("x2", String(width));
    line.setAttribute("y1", String(height * y)); line.setAttribute("y2", String(height * y));
    svg.append(line);
  }
  if (points.length < 2) return;
  const peak = Math.max(1, ...points.map((p) => p.rate));
  const x = (i) => (i / (points.length - 1)) * width;
  const y = (rate) => height - pad - (rate / peak) * (height - 2 * pad);
  const coords = points.map((p, i) => x(i).toFixed(1) + "," + y(p.rate).toFixed(1)).join(" ");
  const area = document.createElementNS(ns, "polygon");
  area.setAttribute("class", "area");
  area.setAttribute("points", "0," + height + " " + coords + " " + width + "," + height);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("class", "line");
  line.setAttribute("points", coords);
  svg.append(area, line);
}

function renderL1(status) {
  const l1 = status.l1;
  const view = stakingView(status);
  setText("l1-epoch", view ? view.current_epoch : "—");
  setText("l1-head", l1 ? (l1.head ?? "—") + " / " + (l1.confirmedOrigin ?? "—") : "—");
  setText("l1-endpoint", l1 ? String(l1.rpc) + (l1.error ? " (error: " + l1.error + ")" : "")
    : "not anchored to L1");
}

function renderValidators(status, blocks) {
  const produced = new Map();
  for (const block of blocks) {
    if (block.builder) produced.set(block.builder, (produced.get(block.builder) || 0) + 1);
  }
  setText("produced-window", blocks.length ? "(last " + blocks.length + " blocks)" : "");
  const body = document.querySelector("#validators tbody");
  body.replaceChildren();
  const rows = sequencerRows(status, state.evidence, produced);
  for (const row of rows) {
    body.append(el("tr", { "data-validator": row.address, "data-status": row.status },
      el("td", { class: "mono" }, row.address),
      el("td", { class: "stake", title: row.locked === null ? null : "locked now: " + row.locked },
        row.stake),
      el("td", { class: "status-" + row.status.replace(/[^a-z]/g, "") }, row.status),
      el("td", { class: "produced" }, row.produced),
      el("td", {}, row.rewards)));
  }
  if (!rows.length) {
    body.append(el("tr", {}, el("td", { colspan: 5 }, "this node reports no validator set")));
  }
  const l1 = status.l1;
  const staking = l1 && l1.staking;
  let note = "";
  if (!l1) {
    note = "Staking status and rewards: not connected to L1 yet (ordo_status carries no L1 " +
      "staking fields); stakes shown are the genesis set.";
  } else if (!staking) {
    note = "Staking view: this node has no signer key, so it reads no staking view.";
  } else if (!staking.view) {
    note = "Staking view not read from L1 yet" + (staking.error ? ": " + staking.error : ".");
  } else {
    note = "Stake: tokens the L1 epoch " + staking.view.current_epoch + " froze (L1 block " +
      staking.view.l1_block + "); total " + formatTokens(staking.view.total_stake) +
      ", reward reserve " + formatTokens(staking.view.reward_reserve) + "." +
      (staking.error ? " Last refresh failed: " + staking.error : "");
  }
  setText("staking-note", note);
}

function renderBlocks(blocks) {
  const body = document.querySelector("#blocks tbody");
  body.replaceChildren();
  for (const block of blocks.slice(-RECENT_BLOCKS).reverse()) {
    const round = block.commit ? hexToInt(block.commit.round) : null;
    const signers = block.commit && Array.isArray(block.commit.signatures)
      ? block.commit.signatures.map((s) => String(s.validator).toLowerCase()) : [];
    const signerCell = el("td", { class: "mono signers" });
    if (signers.length) {
      signers.forEach((signer, i) => {
        if (i) signerCell.append(el("br"));
        signerCell.append(el("span", { class: "signer", title: signer }, signer));
      });
    } else {
      signerCell.append("no certificate");
    }
    body.append(el("tr", { "data-number": block.number, class: round > 0 ? "failover" : null },
      el("td", {}, block.number),
      el("td", { class: "mono", title: block.hash }, shortHash(block.hash)),
      el("td", {}, new Date(block.timestamp * 1000).toISOString().slice(11, 19)),
      el("td", { class: "txs" }, block.txCount),
      el("td", { class: "mono" }, block.builder ? shortHash(block.builder) : "—"),
      el("td", {}, round === null ? "—" : round > 0 ? round + " (failover)" : round),
      signerCell));
  }
}

function renderBatches(status) {
  const table = document.getElementById("batches");
  const l1 = status.l1;
  const body = table.querySelector("tbody");
  body.replaceChildren();
  const latest = batchOf(l1);
  if (latest) state.batches.set(latest.index, latest);
  const batches = [...state.batches.values()].sort((a, b) => b.index - a.index).slice(0, 20);
  for (const batch of batches) {
    body.append(el("tr", { "data-batch": batch.index },
      el("td", {}, batch.index),
      el("td", { class: "mono" }, batch.l1Tx || "—"),
      el("td", {}, batch.l1Block ?? "—"),
      el("td", {}, batch.postedAt === null ? "—"
        : new Date(batch.postedAt * 1000).toISOString().slice(0, 19).replace("T", " "))));
  }
  table.hidden = batches.length === 0;
  setText("batch-totals", batchTotals(l1) || "");
  if (!l1) {
    setText("batches-note", "Not connected to L1 yet: this node reports no batch posting " +
      "(ordo_status has no l1 field).");
  } else if (!l1.batcher) {
    setText("batches-note", "Batches posted: — (this node reports no batcher in ordo_status).");
  } else {
    setText("batches-note", batches.length ? "" : "No batches posted yet.");
  }
}

// Fees on a chain with the L1 data fee: ordo_status.economics, the node's tally of this epoch
// and the last (ordo.node.fee_book): per sequencer blocks produced and tips earned, and the fee
// vault's income. One row per sequencer and epoch, newest epoch first.
function feeRows(economics) {
  if (!economics || typeof economics !== "object") return [];
  const rows = [];
  for (const tally of [economics.current, economics.previous]) {
    if (!tally || !Array.isArray(tally.sequencers)) continue;
    for (const entry of tally.sequencers) {
      rows.push({ epoch: tally.epoch, address: entry.address, blocks: entry.blocksProduced,
        tips: formatEth(entry.l2FeesEarned), vault: formatEth(tally.vaultIncome) });
    }
  }
  return rows;
}

function renderFees(status) {
  const rows = feeRows(status.economics);
  const table = document.getElementById("fees");
  const body = table.querySelector("tbody");
  body.replaceChildren(...rows.map((row) => el("tr", {},
    el("td", {}, row.epoch), el("td", { class: "mono" }, row.address), el("td", {}, row.blocks),
    el("td", {}, row.tips), el("td", {}, row.vault))));
  table.hidden = rows.length === 0;
  setText("fees-note", status.economics ? (rows.length ? "" : "No blocks counted yet.")
    : "This chain has no L1 data fee (ordo_status has no economics field).");
}

function renderSettlement(status) {
  const settlement = settlementOf(status.l1);
  const landed = settlement !== null && settlement.batchIndex !== null;
  const root = document.getElementById("settlement-root");
  root.textContent = landed && settlement.outputRoot ? shortHash(settlement.outputRoot) : "—";
  if (landed && settlement.outputRoot) root.title = settlement.outputRoot;
  else root.removeAttribute("title");
  const panel = document.getElementById("settlement");
  if (landed) panel.dataset.batch = String(settlement.batchIndex);
  else delete panel.dataset.batch;
  setText("settlement-batch", landed ? settlement.batchIndex + " / " +
    (settlement.l2Block ?? "—") : "—");
  renderSettlementWindow();
  setText("settlement-dispute", landed && settlement.dispute
    ? DISPUTES[settlement.dispute] || settlement.dispute : "—");
  const portal = document.getElementById("settlement-portal");
  portal.textContent = settlement && settlement.portal ? formatEth(settlement.portalBalance)
    : "—";
  if (settlement && settlement.portal) portal.title = "WithdrawalPortal " + settlement.portal;
  else portal.removeAttribute("title");
  let note;
  if (!status.l1) note = "Not connected to L1: this node reports no settlement.";
  else if (!settlement) note = "This node reports no settlement (its genesis names no inbox).";
  else if (settlement.l1Block === null) {
    note = "Settlement not read from L1 yet" + (settlement.error ? ": " + settlement.error : ".");
  } else {
    note = (landed ? "" : "No batch has landed in the inbox yet. ") + "Read at confirmed L1 " +
      "block " + settlement.l1Block + "." + (settlement.portal ? ""
        : " The forced queue names no withdrawal portal.") +
      (settlement.error ? " Last refresh failed: " + settlement.error : "");
  }
  setText("settlement-note", note);
  renderDisputes(status);
}

function renderDisputes(status) {
  const table = document.getElementById("disputes");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  const disputes = disputeRows(status.l1);
  for (const row of disputes ? disputes.rows : []) {
    body.append(el("tr", { "data-game": row.game, "data-side": row.side },
      el("td", {}, row.game ?? "—"), el("td", {}, row.batch ?? "—"), el("td", {}, row.side),
      el("td", {}, row.claims), el("td", {}, row.bonds), el("td", {}, row.answer),
      el("td", {}, row.resolve), el("td", {}, row.blocked ? row.blocked + " unanswered" : "")));
  }
  table.hidden = !disputes || disputes.rows.length === 0;
  let note = "";
  if (!disputes) note = "This node reports no challenger.";
  else if (disputes.off) note = "Challenger off: " + disputes.off + ".";
  else if (disputes.rows.length === 0) note = "No open dispute games.";
  if (disputes && disputes.error) note += " Last round failed: " + disputes.error;
  setText("disputes-note", note.trim());
}

// Between status answers the countdown still ticks (a timer calls this every second).
function renderSettlementWindow() {
  if (!state.status) return;
  const cell = document.getElementById("settlement-window");
  const shown = windowState(settlementOf(state.status.l1), (Date.now() - state.statusAt) / 1000);
  cell.textContent = shown.text;
  cell.dataset.state = shown.kind;
}

function renderSlashing(status) {
  const table = document.getElementById("slashing");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  const rows = slashingRows(state.evidence, stakingView(status));
  for (const row of rows) {
    body.append(el("tr", { "data-validator": row.validator },
      el("td", { class: "mono" }, row.validator),
      el("td", {}, row.offence),
      el("td", {}, row.height), el("td", {}, row.round), el("td", {}, row.source)));
  }
  table.hidden = rows.length === 0;
  const view = stakingView(status);
  setText("slashing-note", (rows.length ? "" : "No equivocation seen by this node. ") +
    (view ? "" : status.l1 ? "Slashing on L1: staking view not read yet."
      : "Slashing on L1: not connected to L1 yet."));
}

if (typeof window !== "undefined" && typeof document !== "undefined") {
  window.addEventListener("DOMContentLoaded", connect);
  setInterval(renderSettlementWindow, 1000);
}
if (typeof module !== "undefined") {
  module.exports = { hexToInt, formatEth, formatStake, builderOf, rateSeries, shortHash,
    formatTokens, stakingView, standingOf, sequencerRows, batchOf, batchTotals, slashingRows,
    settlementOf, formatDuration, windowState, disputeRows, feeRows };
}
