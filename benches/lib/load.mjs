#!/usr/bin/env node
// Load on a running `upsignon serve`, from outside its process, with
// node's own https client (no packages): CLIENTS connections with
// keep-alive, one per simulated app, as the reference client does.
//
//   --mode vault  each client loops over the reference client's sync cycle on
//                 the seeded users it owns (users are split between clients,
//                 so two clients never write the same vault): POST
//                 /{tenant}/api2/get-vault-data, then POST update-vault-data
//                 with the version it read and the same number of bytes
//                 (every write is accepted; a 409 would count as an error).
//   --mode live   the baseline: GET /health/live on the same server, same
//                 TLS, same middleware, no session and no database.
//   --mode mixed  an app's day (benches/faults/soak.sh): each client, on its
//                 own users, picks get-vault-data (45%, half of them with
//                 If-None-Match: 304 counts as success), a sync cycle
//                 get-vault-data + update-vault-data with the version read
//                 and new ciphertext of the same size (30%),
//                 get-authorized-devices (15%) or bank-config (10%). A 409
//                 counts as an error and in `conflicts`.
//
// After WARMUP seconds it measures for SECONDS: requests/s, latency
// percentiles, the server's CPU time per request (utime + stime of PID from
// /proc, plus its PostgreSQL backends with --pg-db), and the server's RSS
// sampled every 200 ms. Prints one JSON line on stdout. Besides the window's
// figures it gives, over the whole run (warm-up included): requests_all,
// errors, statuses (count per HTTP status, 0 for no answer), conflicts (409),
// connections_opened (requests answered on a new connection, not a kept-alive
// one), and rss_start_mb (at the start of the window, i.e. after the warm-up).
// --timeout S fails a request that has no answer after S seconds (status 0).
//
// node benches/lib/load.mjs --url https://127.0.0.1:PORT --ca CERT.pem --pid PID
//   [--mode vault|live] [--tenant bench] [--tokens FILE] [--clients 8]
//   [--warmup 2] [--seconds 10] [--pg-db NAME] [--clk-tck 100] [--timeout 0]

import https from 'node:https';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';

const args = { mode: 'vault', tenant: 'bench', clients: '8', warmup: '2', seconds: '10', 'clk-tck': '100', timeout: '0' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  args[key] = process.argv[i + 1];
}
for (const needed of ['url', 'ca', 'pid']) {
  if (!args[needed]) { console.error(`missing --${needed}`); process.exit(2); }
}
const clients = Number(args.clients);
const warmupMs = Number(args.warmup) * 1000;
const measureMs = Number(args.seconds) * 1000;
const clkTck = Number(args['clk-tck']);
const pid = Number(args.pid);
const timeoutMs = Number(args.timeout) * 1000;
const ca = fs.readFileSync(args.ca);
const base = new URL(args.url);

function cpuTicks(p) {
  try {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}

function rssKb(p) {
  try {
    const match = fs.readFileSync(`/proc/${p}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

// The server's PostgreSQL backends (its pool), found by database name.
function pgBackends() {
  if (!args['pg-db']) return [];
  const out = execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-qtAc',
    `SELECT pid FROM pg_stat_activity WHERE datname = '${args['pg-db']}'`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map(Number);
}

function request(agent, method, path, headers, body) {
  return new Promise((resolve) => {
    const req = https.request({
      host: base.hostname, port: base.port, method, path, agent, ca,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), etag: res.headers.etag, fresh: !req.reusedSocket }));
      res.on('error', (e) => resolve({ status: 0, error: e }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e }));
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer after ${args.timeout} s`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const withUsers = args.mode === 'vault' || args.mode === 'mixed';
const tokens = withUsers
  ? fs.readFileSync(args.tokens, 'utf8').split('\n').filter(Boolean)
  : [];
if (withUsers && tokens.length < clients) {
  console.error(`need at least ${clients} users, got ${tokens.length}`);
  process.exit(2);
}

const started = Date.now();
const measureFrom = started + warmupMs;
const measureUntil = measureFrom + measureMs;
const latencies = [];
let errors = 0;
let firstError = null;
let running = true;
let requestsAll = 0;
let conflicts = 0;
let connections = 0;
const statuses = {};

// Records one answer; `what` names the request, for the first failure only.
// `ok` lists the statuses that count as success (200 unless told).
function record(t0, answer, what, ok = [200]) {
  const now = Date.now();
  requestsAll += 1;
  if (answer.fresh) connections += 1;
  statuses[answer.status] = (statuses[answer.status] || 0) + 1;
  if (answer.status === 409) conflicts += 1;
  if (!ok.includes(answer.status)) {
    errors += 1;
    if (!firstError) firstError = `${what}: ${answer.status} ${answer.error || answer.body}`;
    return false;
  }
  if (now >= measureFrom && now <= measureUntil) {
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return true;
}

async function vaultClient(c) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const mine = tokens.filter((_, i) => i % clients === c);
  const api = `/${args.tenant}/api2`;
  while (running) {
    const token = mine[Math.floor(Math.random() * mine.length)];
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    let t0 = process.hrtime.bigint();
    const read = await request(agent, 'POST', `${api}/get-vault-data`, headers, '{}');
    if (!record(t0, read, 'get-vault-data') || !running) continue;
    const vault = JSON.parse(read.body);
    const body = JSON.stringify({ newEncryptedData: vault.encryptedData, version: vault.version });
    t0 = process.hrtime.bigint();
    const write = await request(agent, 'POST', `${api}/update-vault-data`, headers, body);
    record(t0, write, 'update-vault-data');
  }
  agent.destroy();
}

// New ciphertext shaped like the old one (`x1.` + base64 of as many bytes).
function reseal(old) {
  const bytes = Math.max(40, Math.floor(((old.length - 3) * 3) / 4));
  return `x1.${crypto.randomBytes(bytes).toString('base64')}`;
}

async function mixedClient(c) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const mine = tokens.filter((_, i) => i % clients === c);
  const etags = new Map();
  const api = `/${args.tenant}/api2`;
  while (running) {
    const token = mine[Math.floor(Math.random() * mine.length)];
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const pick = Math.random();
    let t0 = process.hrtime.bigint();
    if (pick < 0.45) {
      const conditional = etags.has(token) && Math.random() < 0.5;
      const read = await request(agent, 'POST', `${api}/get-vault-data`,
        conditional ? { ...headers, 'if-none-match': etags.get(token) } : headers, '{}');
      if (record(t0, read, 'get-vault-data', [200, 304]) && read.status === 200) etags.set(token, read.etag);
    } else if (pick < 0.75) {
      const read = await request(agent, 'POST', `${api}/get-vault-data`, headers, '{}');
      if (!record(t0, read, 'get-vault-data') || !running) continue;
      const vault = JSON.parse(read.body);
      const body = JSON.stringify({ newEncryptedData: reseal(vault.encryptedData), version: vault.version });
      t0 = process.hrtime.bigint();
      const write = await request(agent, 'POST', `${api}/update-vault-data`, headers, body);
      record(t0, write, 'update-vault-data');
    } else if (pick < 0.9) {
      const list = await request(agent, 'POST', `${api}/get-authorized-devices`, headers, '{}');
      record(t0, list, 'get-authorized-devices');
    } else {
      const config = await request(agent, 'POST', `${api}/bank-config`, { 'content-type': 'application/json' }, '{}');
      record(t0, config, 'bank-config');
    }
  }
  agent.destroy();
}

async function liveClient() {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  while (running) {
    const t0 = process.hrtime.bigint();
    const answer = await request(agent, 'GET', '/health/live', {});
    record(t0, answer, '/health/live');
  }
  agent.destroy();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clientFor = { vault: vaultClient, mixed: mixedClient, live: liveClient }[args.mode];
if (!clientFor) { console.error(`unknown --mode ${args.mode}`); process.exit(2); }
const work = Array.from({ length: clients }, (_, c) => clientFor(c));

await sleep(Math.max(0, measureFrom - Date.now() - 50));
const pgBefore = new Map(pgBackends().map((p) => [p, cpuTicks(p)]));
await sleep(Math.max(0, measureFrom - Date.now()));
const cpuStart = cpuTicks(pid);
const rssStart = rssKb(pid);
let rssMax = rssStart || 0;
const sampler = setInterval(() => { rssMax = Math.max(rssMax, rssKb(pid) || 0); }, 200);
await sleep(Math.max(0, measureUntil - Date.now()));
const cpuEnd = cpuTicks(pid);
const rssEnd = rssKb(pid);
const pgAfter = new Map([...pgBefore.keys()].map((p) => [p, cpuTicks(p)]));
clearInterval(sampler);
running = false;
// Backends opened during the window count whole.
for (const p of pgBackends()) if (!pgAfter.has(p)) { pgBefore.set(p, 0); pgAfter.set(p, cpuTicks(p)); }
await Promise.all(work);

latencies.sort((a, b) => a - b);
const pct = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
const requests = latencies.length;
const seconds = measureMs / 1000;
const serverMs = cpuStart === null || cpuEnd === null ? null : ((cpuEnd - cpuStart) * 1000) / clkTck;
let pgMs = 0;
let pgSeen = 0;
for (const [p, before] of pgBefore) {
  const after = pgAfter.get(p);
  if (before !== null && after !== null && after !== undefined) { pgMs += ((after - before) * 1000) / clkTck; pgSeen += 1; }
}
const result = {
  mode: args.mode,
  clients,
  seconds,
  requests,
  errors,
  requests_all: requestsAll,
  statuses,
  conflicts,
  connections_opened: connections,
  first_error: firstError ? String(firstError).slice(0, 300) : null,
  rps: requests / seconds,
  p50_ms: pct(0.5),
  p99_ms: pct(0.99),
  mean_ms: requests ? latencies.reduce((a, b) => a + b, 0) / requests : null,
  cpu_ms_per_req: serverMs === null || !requests ? null : (serverMs + pgMs) / requests,
  server_cpu_ms_per_req: serverMs === null || !requests ? null : serverMs / requests,
  pg_backends: pgSeen,
  rss_start_mb: rssStart === null ? null : rssStart / 1024,
  rss_max_mb: rssMax / 1024,
  rss_end_mb: rssEnd === null ? null : rssEnd / 1024,
};
console.log(JSON.stringify(result));
