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
  renderFailover(status, blocks);
  renderRate(blocks);
  renderValidators(status, blocks);
  renderBlocks(blocks);
  renderBatches(status);
  renderSlashing(status);
}

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

function renderValidators(status, blocks) {
  const produced = new Map();
  for (const block of blocks) {
    if (block.builder) produced.set(block.builder, (produced.get(block.builder) || 0) + 1);
  }
  setText("produced-window", blocks.length ? "(last " + blocks.length + " blocks)" : "");
  const body = document.querySelector("#validators tbody");
  body.replaceChildren();
  const validators = Array.isArray(status.validators) ? status.validators : [];
  let fromL1 = false;
  for (const v of validators) {
    const address = String(v.address).toLowerCase();
    fromL1 = fromL1 || v.status !== undefined;
    const standing = v.status === undefined ? "genesis set" : String(v.status);
    const rewards = v.rewards === undefined ? "not connected to L1 yet" : formatEth(v.rewards);
    body.append(el("tr", { "data-validator": address, "data-stake": v.stake },
      el("td", { class: "mono" }, address),
      el("td", { class: "stake" }, formatStake(v.stake)),
      el("td", { class: "status-" + standing.replace(/[^a-z]/g, "") }, standing),
      el("td", { class: "produced" }, produced.get(address) || 0),
      el("td", {}, rewards)));
  }
  if (!validators.length) {
    body.append(el("tr", {}, el("td", { colspan: 5 }, "this node reports no validator set")));
  }
  setText("staking-note", fromL1 ? "" : "Staking status and rewards: not connected to L1 yet " +
    "(ordo_status carries no L1 staking fields); stakes shown are the genesis set.");
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
  const batches = l1 && Array.isArray(l1.batches) ? l1.batches : null;
  const body = table.querySelector("tbody");
  body.replaceChildren();
  if (!batches) {
    table.hidden = true;
    setText("batches-note", "Not connected to L1 yet: this node reports no batch posting " +
      "(ordo_status has no l1 field).");
    return;
  }
  for (const batch of batches) {
    body.append(el("tr", {},
      el("td", {}, hexToInt(batch.index) ?? "—"),
      el("td", {}, (hexToInt(batch.fromBlock) ?? "?") + "–" + (hexToInt(batch.toBlock) ?? "?")),
      el("td", { class: "mono" }, batch.l1Transaction || "—"),
      el("td", {}, hexToInt(batch.l1Block) ?? "—")));
  }
  table.hidden = batches.length === 0;
  setText("batches-note", batches.length ? "" : "No batches posted yet.");
}

function renderSlashing(status) {
  const table = document.getElementById("slashing");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const item of state.evidence) {
    body.append(el("tr", {},
      el("td", { class: "mono" }, item.validator),
      el("td", {}, "equivocation (" + item.voteType + ")"),
      el("td", {}, item.height), el("td", {}, item.round)));
  }
  table.hidden = state.evidence.length === 0;
  const onL1 = status.l1 && Array.isArray(status.l1.slashings);
  setText("slashing-note", (state.evidence.length ? "" : "No equivocation seen by this node. ") +
    (onL1 ? "" : "Slashing on L1: not connected to L1 yet."));
}

if (typeof window !== "undefined" && typeof document !== "undefined") {
  window.addEventListener("DOMContentLoaded", connect);
}
if (typeof module !== "undefined") {
  module.exports = { hexToInt, formatEth, formatStake, builderOf, rateSeries, shortHash };
}
