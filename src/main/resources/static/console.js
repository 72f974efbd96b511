// The operator's console: plain JavaScript over the REST API (no build step, nothing from a CDN). The API key, when
// the server has one, is kept in this tab's sessionStorage and sent as X-API-Key; without it nothing but the key form
// is shown. Live parts poll: runs and memory every 2 s, rooms every 5 s.
"use strict";

const KEY_STORE = "polyphony.apiKey";
const RETRYABLE = ["memory_budget", "timeout", "parser_crash", "internal"];
const RUNNING = ["STARTING", "STARTED", "STOPPING"];
const state = { key: sessionStorage.getItem(KEY_STORE) || "", settings: null, health: null, rooms: [], sort: "lastActive",
  desc: true, room: null, run: null, timers: [] };

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
};
const fmt = new Intl.NumberFormat("en");
const mib = (mb) => mb == null ? "–" : (mb >= 1024 ? (mb / 1024).toFixed(2) + " GiB" : mb.toFixed(1) + " MiB");
const bytes = (b) => b == null ? "–" : b < 1024 ? b + " B" : b < 1048576 ? (b / 1024).toFixed(1) + " KiB" : mib(b / 1048576);
const when = (t) => t ? new Date(t).toLocaleString() : "–";
const secs = (ms) => ms == null ? "–" : ms < 60000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms / 60000) + " min";

class Unauthorized extends Error {}

/** One API call: {status, body}; a 401 sends the operator back to the key form. */
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.key) headers["X-API-Key"] = state.key;
  const r = await fetch(path, Object.assign({}, options, { headers }));
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = { message: text }; }
  if (r.status === 401) throw new Unauthorized(body && body.message || "unauthorized");
  return { status: r.status, body };
}

function message(reply) {
  return reply.body && reply.body.message ? reply.body.message : "HTTP " + reply.status;
}

// --- key --------------------------------------------------------------------------------------------------------

function showLogin(error) {
  state.timers.forEach(clearInterval);
  state.timers = [];
  $("#console").hidden = true;
  $("#nav").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = error || "";
  $("#key").focus();
}

async function open() {
  try {
    const r = await api("/api/console");
    state.settings = r.body;
  } catch (e) {
    if (e instanceof Unauthorized) { showLogin(state.key ? "That key was refused: " + e.message : ""); return; }
    throw e;
  }
  $("#login").hidden = true;
  $("#console").hidden = false;
  $("#nav").hidden = false;
  refreshAll();
  state.timers.push(setInterval(() => guarded(refreshLive), 2000));
  state.timers.push(setInterval(() => guarded(refreshRooms), 5000));
}

async function guarded(f) {
  try {
    await f();
    $("#live").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    if (e instanceof Unauthorized) showLogin("The key was refused: " + e.message);
    else $("#live").textContent = "cannot reach the server: " + e.message;
  }
}

function refreshAll() { guarded(async () => { await refreshRooms(); await refreshLive(); renderRooms(); }); }
async function refreshLive() { await Promise.all([refreshMemory(), refreshRuns()]); }

// --- memory -----------------------------------------------------------------------------------------------------

async function refreshMemory() {
  const [health, console] = await Promise.all([api("/actuator/health"), api("/api/console")]);
  state.settings = console.body;
  const redis = health.body && health.body.components && health.body.components.redisMemory;
  const d = redis && redis.details || {};
  state.health = d;
  const pct = d.budgetMb ? Math.min(100, 100 * d.usedMemoryMb / d.budgetMb) : 0;
  $("#memory-gauge").value = pct;
  $("#memory-gauge").textContent = pct.toFixed(0) + " %";
  $("#memory-text").textContent = d.usedMemoryMb == null ? (redis ? redis.status : "–")
    : mib(d.usedMemoryMb) + " of " + mib(d.budgetMb) + " (" + pct.toFixed(0) + " %)";
  $("#memory-layout").textContent = d.layout || "–";
  $("#memory-fit").textContent = typeof d.roomsThatStillFit === "number" ? fmt.format(d.roomsThatStillFit)
    : d.roomsThatStillFit || "–";
  const chunks = state.rooms.reduce((s, r) => s + r.chunks, 0);
  state.bytesPerChunk = chunks > 0 && d.usedMemoryMb ? d.usedMemoryMb * 1048576 / chunks : null;
  $("#memory-per-chunk").textContent = state.bytesPerChunk ? fmt.format(Math.round(state.bytesPerChunk)) + " B" : "–";
  state.rooms.forEach((r) => { r.bytes = state.bytesPerChunk ? Math.round(r.chunks * state.bytesPerChunk) : null; });
  const body = $("#shards tbody");
  body.replaceChildren(...(d.shards || []).map((s) => el("tr", {}, el("td", {}, s.shard || "–"),
    el("td", {}, mib(s.usedMemoryMb)), el("td", {}, mib(s.budgetMb)), el("td", {}, s.activeRooms == null ? "–" : s.activeRooms))));
  drawChart(console.body.history || []);
}

function drawChart(points) {
  const svg = $("#chart");
  const W = 600, H = 160, pad = 4;
  // the last hour, or since the first sample when the server has not run that long
  const now = Date.now(), from = Math.max(now - 3600 * 1000, points.length ? points[0].at - 5000 : now - 60000);
  // memory to the scale of what is used; the budget line shows when it is within that scale
  const maxMb = Math.max(1, ...points.map((p) => p.usedMb || 0)) * 1.25;
  const maxRate = Math.max(1, ...points.map((p) => p.chunksPerSecond));
  const x = (t) => pad + (W - 2 * pad) * (t - from) / (now - from);
  const line = (f, max) => points.filter((p) => f(p) != null).map((p) => x(p.at).toFixed(1) + ","
    + (H - pad - (H - 2 * pad) * f(p) / max).toFixed(1)).join(" ");
  const poly = (pts, color) => {
    const p = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    p.setAttribute("points", pts); p.setAttribute("fill", "none"); p.setAttribute("stroke", color);
    p.setAttribute("stroke-width", "2"); p.setAttribute("vector-effect", "non-scaling-stroke");
    return p;
  };
  const css = getComputedStyle(document.documentElement);
  const dots = (f, max, color) => points.filter((p) => f(p) != null).map((p) => {
    const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
    c.setAttribute("cx", x(p.at).toFixed(1)); c.setAttribute("cy", (H - pad - (H - 2 * pad) * f(p) / max).toFixed(1));
    c.setAttribute("r", "1.6"); c.setAttribute("fill", color);
    return c;
  });
  const used = css.getPropertyValue("--accent"), budget = css.getPropertyValue("--bad"), rate = css.getPropertyValue("--ok");
  svg.replaceChildren(poly(line((p) => p.budgetMb != null && p.budgetMb <= maxMb ? p.budgetMb : null, maxMb), budget),
    poly(line((p) => p.usedMb, maxMb), used),
    poly(line((p) => p.chunksPerSecond, maxRate), rate), ...dots((p) => p.usedMb, maxMb, used),
    ...dots((p) => p.chunksPerSecond, maxRate, rate));
  const last = points[points.length - 1];
  $("#chart-caption").setAttribute("data-points", points.length);
  svg.setAttribute("aria-label", "last hour, " + points.length + " samples" + (last ? ", now " + mib(last.usedMb)
    + " used, " + last.chunksPerSecond.toFixed(1) + " chunks/s" : ""));
}

// --- runs -------------------------------------------------------------------------------------------------------

async function refreshRuns() {
  const filter = $("#runs-filter").value;
  const r = await api("/api/runs?limit=25" + (filter ? "&status=" + filter : ""));
  const runs = r.body || [];
  const running = runs.filter((x) => RUNNING.includes(x.status));
  $("#running").replaceChildren(...running.map(progressLine));
  $("#runs-table tbody").replaceChildren(...runs.map((x) => {
    const p = x.progress || {};
    const row = el("tr", { class: "clickable" + (state.run === x.execution ? " selected" : ""), tabindex: "0",
      "data-execution": x.execution, onclick: () => showRun(x.execution),
      onkeydown: (e) => { if (e.key === "Enter") showRun(x.execution); } },
      el("td", {}, x.execution), el("td", { class: x.status, "data-status": x.status }, x.status),
      el("td", {}, x.room || x.path || "–"), el("td", {}, (p.filesDone || 0) + (p.filesTotal ? " / " + p.filesTotal : "")),
      el("td", {}, fmt.format(p.chunksWritten || 0)), el("td", {}, when(x.startTime)), el("td", {}, secs(x.durationMs)));
    return row;
  }));
  if (state.run) await showRun(state.run, true);
}

function progressLine(x) {
  const p = x.progress || {};
  const seconds = (x.durationMs || 0) / 1000;
  const rate = seconds > 0 ? (p.chunksWritten || 0) / seconds : 0;
  const left = p.filesTotal && p.filesDone ? seconds / p.filesDone * (p.filesTotal - p.filesDone) : null;
  const bar = el("progress", { max: p.filesTotal || 1, value: p.filesDone || 0,
    "aria-label": "execution " + x.execution + " files done" });
  return el("p", { class: "running", "data-execution": x.execution }, "Execution " + x.execution + " (" + (x.room || x.path)
    + ") ", bar, " files " + (p.filesDone || 0) + "/" + (p.filesTotal || "?") + " · chunks " + fmt.format(p.chunksWritten || 0)
    + " · " + rate.toFixed(1) + " chunks/s · ETA " + (left == null ? "–" : Math.round(left) + " s"));
}

async function showRun(execution, quiet) {
  state.run = execution;
  const r = await api("/api/runs/" + execution);
  if (r.status !== 200) { if (!quiet) $("#run-message").textContent = message(r); return; }
  const x = r.body;
  $("#run-detail").hidden = false;
  $("#run-title").textContent = "Execution " + x.execution + " (run " + x.run + ")";
  $("#run-summary").replaceChildren(el("span", { class: x.status, id: "run-status" }, x.status), " · " + (x.room || x.path)
    + (x.failure ? " · " + x.failure : "") + (x.lastExecution !== x.execution ? " · the run went on as execution "
    + x.lastExecution + " (" + x.runStatus + ")" : ""));
  const files = x.files || [];
  $("#run-stop").hidden = !RUNNING.includes(x.status);
  $("#run-restart").hidden = !["FAILED", "STOPPED", "UNKNOWN"].includes(x.status) || x.lastExecution !== x.execution;
  $("#run-retry").hidden = !(x.status === "COMPLETED" && x.lastExecution === x.execution
    && files.some((f) => RETRYABLE.includes(f.reason)));
  $("#run-files tbody").replaceChildren(...files.map((f) => el("tr", { "data-file": f.path.split("/").pop() },
    el("td", {}, f.path.split("/").pop()), el("td", {}, f.room || "–"), el("td", { class: f.outcome }, f.outcome),
    el("td", { class: "reason" }, f.reason || ""), el("td", {}, f.chunks), el("td", {}, f.message || ""))));
}

async function runAction(path, what) {
  const r = await api(path, { method: "POST" });
  $("#run-message").textContent = r.status === 202 ? what + ": execution " + r.body.execution : message(r);
  if (r.status === 202) { state.run = r.body.execution; }
  await refreshRuns();
}

// --- rooms ------------------------------------------------------------------------------------------------------

async function refreshRooms() {
  const r = await api("/api/rooms");
  const inactiveAfter = (state.settings && state.settings.inactiveAfterSeconds || 1800) * 1000;
  state.rooms = (r.body || []).map((x) => Object.assign({}, x, {
    bytes: state.bytesPerChunk ? Math.round(x.chunks * state.bytesPerChunk) : null,
    state: Date.now() - x.lastActive > inactiveAfter ? "inactive" : "active" }));
  renderRooms();
  if (state.room) await showRoom(state.room, true);
}

function renderRooms() {
  const k = state.sort, dir = state.desc ? -1 : 1;
  const rows = [...state.rooms].sort((a, b) => (a[k] > b[k] ? 1 : a[k] < b[k] ? -1 : 0) * dir);
  document.querySelectorAll("#rooms-table th").forEach((th) => {
    const b = th.querySelector("button");
    th.setAttribute("aria-sort", b && b.dataset.sort === k ? (state.desc ? "descending" : "ascending") : "none");
  });
  $("#rooms-table tbody").replaceChildren(...rows.map((x) => el("tr", { class: "clickable" + (state.room === x.room ? " selected" : ""),
    tabindex: "0", "data-room": x.room, onclick: () => showRoom(x.room),
    onkeydown: (e) => { if (e.key === "Enter") showRoom(x.room); } },
    el("td", {}, x.room), el("td", {}, fmt.format(x.docs)), el("td", {}, fmt.format(x.chunks)), el("td", {}, bytes(x.bytes)),
    el("td", {}, when(x.lastActive)), el("td", { class: x.state === "active" ? "ok" : "muted" }, x.state))));
}

async function showRoom(room, quiet) {
  state.room = room;
  const [r, ev] = await Promise.all([api("/api/rooms/" + encodeURIComponent(room)), api("/api/evictions?limit=200")]);
  $("#room-detail").hidden = false;
  $("#room-title").textContent = "Room " + room;
  if (r.status !== 200) {
    $("#room-summary").textContent = message(r);
    $("#room-docs tbody").replaceChildren();
  } else {
    const x = r.body;
    $("#room-summary").textContent = fmt.format(x.chunks) + " chunks · " + bytes(x.bytes) + " of files · model " + x.model
      + " · last active " + when(x.lastActive);
    $("#room-docs tbody").replaceChildren(...(x.documents || []).map((d) => el("tr", { "data-file": d.file },
      el("td", {}, d.file), el("td", {}, d.chunks + (d.sampled ? " of " + d.totalChunks : "")),
      el("td", {}, d.sampled ? "sampled" : "no"), el("td", {}, when(d.ingestedAt)))));
  }
  $("#room-evictions").replaceChildren(...(ev.body || []).filter((e) => e.room === room).map((e) =>
    el("li", {}, when(e.evictedAt) + ": " + e.documents + " documents, " + fmt.format(e.chunks) + " chunks, "
      + bytes(e.bytes) + " (" + e.reason + ")")));
  if (!quiet) $("#room-message").textContent = "";
}

async function roomAction(method, suffix, done) {
  const room = state.room;
  const r = await api("/api/rooms/" + encodeURIComponent(room) + suffix, { method });
  $("#room-message").textContent = r.status < 300 ? done(r.body) : message(r);
  await refreshRooms();
}

async function search(q) {
  const r = await api("/api/rooms/" + encodeURIComponent(state.room) + "/search?k=5&q=" + encodeURIComponent(q));
  const list = $("#search-results");
  if (r.status !== 200) { list.replaceChildren(el("li", { class: "error" }, message(r))); return; }
  list.replaceChildren(...r.body.hits.map((h) => el("li", { "data-file": h.file },
    el("span", { class: "score" }, h.score.toFixed(3)), el("strong", {}, h.file), " — " + h.content.slice(0, 240))));
}

// --- upload -----------------------------------------------------------------------------------------------------

const UPLOAD_ANSWERS = {
  400: "refused: ", 401: "the API key was refused", 413: "too large: ", 415: "not a type we read: ",
  429: "the server is busy: ", 507: "no room on disk: " };

function upload(room, file) {
  const item = el("li", { "data-file": file.name }, file.name + " ");
  const bar = el("progress", { max: file.size || 1, value: 0, "aria-label": "upload of " + file.name });
  const status = el("span", { class: "status" }, " sending…");
  item.append(bar, status);
  $("#upload-list").append(item);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/rooms/" + encodeURIComponent(room) + "/documents");
    if (state.key) xhr.setRequestHeader("X-API-Key", state.key);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 202) {
        status.textContent = " queued as execution " + body.execution;
        status.className = "status ok";
        item.dataset.execution = body.execution;
      } else {
        const retry = xhr.getResponseHeader("Retry-After");
        status.textContent = " " + (UPLOAD_ANSWERS[xhr.status] || "failed (HTTP " + xhr.status + "): ")
          + (xhr.status === 401 ? "" : body.message || "") + (retry ? " (try again in " + retry + " s)" : "");
        status.className = "status error";
      }
      item.dataset.status = xhr.status;
      resolve(xhr.status);
    };
    xhr.onerror = () => { status.textContent = " the connection failed"; status.className = "status error"; resolve(0); };
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

async function uploadAll(files) {
  const room = $("#upload-room").value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) { $("#upload-room").reportValidity(); return; }
  for (const f of files) await upload(room, f);
  refreshAll();
}

// --- wiring -----------------------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.key = $("#key").value;
    sessionStorage.setItem(KEY_STORE, state.key);
    open();
  });
  $("#runs-filter").addEventListener("change", () => guarded(refreshRuns));
  $("#run-stop").addEventListener("click", () => guarded(() => runAction("/api/runs/" + state.run + "/stop", "stopping")));
  $("#run-restart").addEventListener("click", () => guarded(() => runAction("/api/runs/" + state.run + "/restart", "restarted")));
  $("#run-retry").addEventListener("click", () => guarded(() => runAction("/api/runs/" + state.run + "/restart",
    "retrying the failed files")));
  document.querySelectorAll("#rooms-table th button").forEach((b) => b.addEventListener("click", () => {
    state.desc = state.sort === b.dataset.sort ? !state.desc : true;
    state.sort = b.dataset.sort;
    renderRooms();
  }));
  $("#room-touch").addEventListener("click", () => guarded(() => roomAction("POST", "/touch", () => "marked active")));
  $("#room-rehydrate").addEventListener("click", () => guarded(() => roomAction("POST", "/rehydrate",
    (b) => "rehydrating: execution " + b.execution)));
  $("#room-delete").addEventListener("click", () => {
    if (!confirm("Delete room " + state.room + ": its keys in Redis and its archived uploads?")) return;
    guarded(async () => {
      await roomAction("DELETE", "", (b) => "deleted");
      state.room = null;
      $("#room-detail").hidden = true;
    });
  });
  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(() => search($("#search-q").value)); });
  $("#upload-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(() => uploadAll([...$("#upload-files").files]));
  });
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    guarded(() => uploadAll([...e.dataTransfer.files]));
  });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") $("#upload-files").click(); });
  open();
});
