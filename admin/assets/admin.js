// The admin page: polls the JSON API and redraws in place. Text from the
// config or the functions goes in with textContent, never as markup.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
// The plots span the seconds held, from one minute to the five the server keeps.
const MIN_WINDOW_MS = 60 * 1000, MAX_WINDOW_MS = 5 * 60 * 1000;
let routes = [];
let lastStats = null; // the last /api/stats, for redrawing the routes between polls

function $(id) { return document.getElementById(id); }

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v; else if (k === "title") e.title = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

async function api(path, options) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin", cache: "no-store" }, options));
  if (r.status === 401) { location.reload(); throw new Error("signed out"); }
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

function fmt(v, digits) {
  if (v == null) return "–";
  if (v >= 100) return v.toFixed(0);
  return v.toFixed(digits == null ? 1 : digits);
}

function pct(v) { return v ? (v * 100).toFixed(1) + "%" : "–"; }

function ago(t) {
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  if (s < 60) return s + "s ago";
  if (s < 3600) return Math.round(s / 60) + "m ago";
  return new Date(t).toLocaleString();
}

// Config and reload.

function showConfig(c) {
  $("config-file").textContent = c.file;
  $("config-loaded").textContent = "loaded " + ago(c.loadedAt);
  const last = c.lastReload, box = $("reload-problems"), status = $("config-reload");
  if (!last) { status.textContent = ""; box.hidden = true; return; }
  status.textContent = "last reload " + ago(last.at) + ": " + (last.ok ? "applied" : "refused");
  status.className = last.ok ? "ok" : "bad";
  box.hidden = last.ok;
  box.textContent = last.ok ? "" : "Reload refused; the running config stays.\n" + (last.problems || []).join("\n");
}

async function reload() {
  const b = $("reload");
  b.disabled = true;
  try { showConfig(await api("/api/reload", { method: "POST" })); refresh(); } catch (e) { console.error(e); }
  b.disabled = false;
}

// Routes.

function renderRoutes() {
  const stats = lastStats;
  const q = $("route-filter").value.trim().toLowerCase();
  const body = $("route-rows");
  const rows = [];
  for (const r of routes) {
    const hay = [r.route, r.function, r.backend, r.authorizer, r.throttle, r.payload].join(" ").toLowerCase();
    if (q && !hay.includes(q)) continue;
    const live = (stats && stats.routes[r.route]) || r;
    rows.push(el("tr", { "data-route": r.route },
      el("td", { class: "mono" }, r.route), el("td", {}, r.function), el("td", {}, r.backend), el("td", {}, r.payload),
      el("td", {}, r.authorizer), el("td", {}, r.throttle), el("td", { class: "num" }, (r.timeoutMs / 1000) + "s"),
      el("td", { class: "num" }, fmt(live.rate, 2)), el("td", { class: "num" }, fmt(live.p50Ms)),
      el("td", { class: "num" }, fmt(live.p99Ms)), el("td", { class: "num" + (live.errorRate ? " bad" : "") }, pct(live.errorRate))));
  }
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "11", class: "muted" }, q ? "no route matches" : "no routes")));
  body.replaceChildren(...rows);
}

function fillTryRoutes() {
  const sel = $("try-route");
  const current = sel.value;
  sel.replaceChildren(el("option", { value: "" }, "(any path)"), ...routes.map(r => el("option", { value: r.route }, r.route + " → " + r.function)));
  sel.value = current;
}

function pickRoute() {
  const key = $("try-route").value;
  if (!key) return;
  let method = "GET", path = "/";
  if (key !== "$default") {
    const i = key.indexOf(" ");
    method = key.slice(0, i) === "ANY" ? "GET" : key.slice(0, i);
    path = key.slice(i + 1).replace(/\{[^}]+\+\}/g, "a/b").replace(/\{[^}]+\}/g, "1");
  }
  $("try-method").value = method;
  $("try-path").value = path;
}

// Functions and schedules.

function renderFunctions(data) {
  const costs = data.functions.some(f => f.costUsd != null);
  const head = $("function-head"), costHead = head.querySelector(".cost");
  if (costs && !costHead) head.append(el("th", { class: "num cost" }, "Cost (est.)"));
  if (!costs && costHead) costHead.remove(); // a reload took the last metered function
  $("function-rows").replaceChildren(...data.functions.map(f => {
    const inst = f.instances;
    const errs = Object.entries(f.errors || {}).filter(([, n]) => n > 0).map(([k, n]) => k + " " + n).join(", ");
    const last = f.lastError ? f.lastError.type + (f.lastError.message ? ": " + f.lastError.message : "") + " (" + ago(f.lastError.at) + ")" : "";
    const row = el("tr", { "data-function": f.name },
      el("td", {}, f.name), el("td", {}, f.backend), el("td", {}, f.runtime || ""),
      el("td", { class: "num" }, inst ? inst.starting : "–"), el("td", { class: "num" }, inst ? inst.idle : "–"),
      el("td", { class: "num" }, inst ? inst.busy : "–"), el("td", { class: "num" }, inst ? f.coldStarts : "–"),
      el("td", { class: "num" }, f.invocations), el("td", { class: errs ? "bad" : "" }, errs || "–"),
      el("td", { class: "num" }, f.asyncDepth), el("td", { class: "wrap" + (last ? " bad" : "") }, last || "–"));
    if (costs) row.append(el("td", { class: "num" }, f.costUsd == null ? "–" : "$" + f.costUsd.toFixed(6)));
    return row;
  }));
  const sched = data.schedules || [];
  $("schedule-rows").replaceChildren(...(sched.length ? sched.map(s => el("tr", {},
    el("td", {}, s.name), el("td", {}, s.function), el("td", { class: "mono" }, s.expression + (s.timezone ? " (" + s.timezone + ")" : "")),
    el("td", {}, s.next ? new Date(s.next).toLocaleString() : "–"))) : [el("tr", {}, el("td", { colspan: "4", class: "muted" }, "no schedules"))]));
}

// Plots.

function plot(svg, now, seconds, lines) {
  const W = 600, H = 160, top = 10, bottom = 16, left = 34;
  let maxY = 0;
  for (const l of lines) for (const p of seconds) { const v = p[l.key]; if (v != null && v > maxY) maxY = v; }
  maxY = niceCeil(maxY || 1);
  const span = seconds.length ? now - seconds[0].t : 0;
  const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.ceil(span / 60000) * 60000));
  const x = t => left + (W - left) * (1 - (now - t) / windowMs);
  const y = v => top + (H - top - bottom) * (1 - v / maxY);
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = maxY * i / 4;
    parts.push(svgEl("line", { class: "grid", x1: left, x2: W, y1: y(v), y2: y(v) }));
    parts.push(svgEl("text", { class: "axis", x: 2, y: y(v) + 3 }, fmt(v, v < 10 ? 1 : 0)));
  }
  for (const q of [4, 3, 2, 1]) {
    const back = windowMs * q / 5;
    const label = windowMs <= 2 * 60000 ? "-" + Math.round(back / 1000) + "s" : "-" + (back / 60000).toFixed(back % 60000 ? 1 : 0) + "m";
    parts.push(svgEl("text", { class: "axis", x: x(now - back) - 8, y: H - 3 }, label));
  }
  for (const l of lines) {
    const pts = seconds.filter(p => p[l.key] != null && now - p.t <= windowMs).map(p => x(p.t).toFixed(1) + "," + y(p[l.key]).toFixed(1));
    parts.push(svgEl("polyline", { class: l.cls, points: pts.join(" "), "data-points": pts.length }));
  }
  svg.replaceChildren(...parts);
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function renderStats(s) {
  const pts = s.seconds.map(p => Object.assign({ errors: p.rate * p.errorRate }, p));
  plot($("plot-rate"), s.now, pts, [{ key: "rate", cls: "rate" }, { key: "errors", cls: "errors" }]);
  plot($("plot-latency"), s.now, pts, [{ key: "p50Ms", cls: "p50" }, { key: "p99Ms", cls: "p99" }]);
  const m = s.minute;
  $("minute").textContent = "last minute: " + fmt(m.rate, 2) + " req/s, p50 " + fmt(m.p50Ms) + " ms, p99 " + fmt(m.p99Ms) + " ms, 5xx " + pct(m.errorRate);
  $("traffic").dataset.requests = String(s.seconds.reduce((n, p) => n + p.rate, 0));
  lastStats = s;
  renderRoutes();
}

// Try it.

async function sendTry(ev) {
  ev.preventDefault();
  const headers = $("try-headers").value.split("\n").map(l => l.trim()).filter(Boolean).map(l => {
    const i = l.indexOf(":");
    return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
  });
  const req = { method: $("try-method").value.trim().toUpperCase(), path: $("try-path").value.trim(), headers, body: $("try-body").value };
  const b = $("try-send");
  b.disabled = true;
  try {
    const a = await api("/api/try", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
    $("try-result").hidden = false;
    if (a.error) {
      $("try-status").textContent = a.error;
      $("try-status").className = "bad";
      $("try-response-headers").textContent = "";
      $("try-response-body").textContent = "";
    } else {
      $("try-status").textContent = "HTTP " + a.status;
      $("try-status").className = a.status >= 500 ? "bad" : a.status >= 400 ? "" : "ok";
      $("try-response-headers").textContent = (a.headers || []).map(h => h[0] + ": " + h[1]).join("\n");
      let body = a.body;
      try { body = JSON.stringify(JSON.parse(body), null, 2); } catch (e) { /* not JSON: as it came */ }
      $("try-response-body").textContent = body;
    }
    $("try-took").textContent = a.tookMs.toFixed(1) + " ms";
  } catch (e) { console.error(e); }
  b.disabled = false;
}

// Polling.

async function refresh() {
  try {
    routes = await api("/api/routes");
    fillTryRoutes();
    renderRoutes();
    renderFunctions(await api("/api/functions"));
    showConfig(await api("/api/config"));
  } catch (e) { console.error(e); }
}

async function tick() {
  try { renderStats(await api("/api/stats")); } catch (e) { console.error(e); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("reload").addEventListener("click", reload);
  $("route-filter").addEventListener("input", () => renderRoutes());
  $("try-route").addEventListener("change", pickRoute);
  $("try-form").addEventListener("submit", sendTry);
  refresh().then(tick);
  setInterval(tick, 1000);
  setInterval(refresh, 3000);
});
