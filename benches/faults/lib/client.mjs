#!/usr/bin/env node
// The load client of the fault scripts: like benches/lib/load.mjs (node's own
// https client, one keep-alive connection per client, each client on its own
// seeded users), but it keeps a record of every request, written as JSON
// lines to --out, for the script to judge afterwards. Times are epoch
// milliseconds (Date.now(), the clock `date +%s%3N` reads) with a fraction.
//
//   --mode writes   (pg_restart.sh) each client loops: get-vault-data, then
//                   update-vault-data with the version read and new random
//                   ciphertext (1 to 4 KiB), recording its SHA-256 and the
//                   version it makes. After a failure it waits 100 ms. A
//                   poller reads /health/ready every 250 ms. Runs until
//                   --stop-file exists or --max-seconds.
//   --mode sigterm  (sigterm.sh) each client loops get-vault-data +
//                   update-vault-data; after --signal-after seconds the
//                   client itself sends SIGTERM to --pid (so "sent before
//                   the signal" is exact) and keeps going, and a prober
//                   opens a new connection every 50 ms (GET /health/live).
//                   Stops 1 s after the server process is gone, or
//                   --after-seconds after the signal.
//
// Record fields: k (get, put, ready, probe), c (client), tok (index of the
// user's token), t0 (request handed to the socket layer), ts (when it went
// out on an open connection: t0 on a kept-alive one, else the end of the TLS
// handshake if after t0; null if the connection never opened), t1 (answer or
// failure), status (0: no answer), err (error code or message), reason
// (`error`/`reason` of a JSON refusal), retry (Retry-After), reused (the
// request went on a kept-alive connection), full (2xx body parsed whole);
// for put: ver (the version the write makes), sha (SHA-256 of the new
// ciphertext). sigterm adds one {k: "signal", t} record.
//
// node benches/faults/lib/client.mjs --mode writes|sigterm --url URL --ca PEM
//   --tokens FILE --out FILE [--clients 8] [--timeout 15] [--tenant bench]
//   writes:  [--stop-file F] [--max-seconds 300]
//   sigterm: --pid PID [--signal-after 5] [--after-seconds 40]

import https from 'node:https';
import fs from 'node:fs';
import crypto from 'node:crypto';

const args = { clients: '8', timeout: '15', tenant: 'bench', 'max-seconds': '300', 'signal-after': '5', 'after-seconds': '40' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const needed of ['mode', 'url', 'ca', 'out']) {
  if (!args[needed]) { console.error(`missing --${needed}`); process.exit(2); }
}
const clients = Number(args.clients);
const timeoutMs = Number(args.timeout) * 1000;
const ca = fs.readFileSync(args.ca);
const base = new URL(args.url);
const api = `/${args.tenant}/api2`;
const tokens = args.tokens ? fs.readFileSync(args.tokens, 'utf8').split('\n').filter(Boolean) : [];
if (tokens.length < clients) { console.error(`need at least ${clients} users, got ${tokens.length}`); process.exit(2); }

// Epoch milliseconds with sub-millisecond precision, on one monotonic base.
const origin = Date.now() - performance.now();
const now = () => origin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const records = [];
let running = true;

function request(agent, method, path, headers, body) {
  return new Promise((resolve) => {
    const out = { t0: null, t1: null, status: 0 };
    let done = false;
    let secured = null; // a new connection: when its TLS handshake ended
    const finish = (extra) => {
      if (done) return;
      done = true;
      Object.assign(out, extra, { t1: now() });
      // When the request went out on an open connection (null: it never did).
      out.ts = req.reusedSocket ? out.t0 : secured === null ? null : Math.max(out.t0, secured);
      resolve(out);
    };
    const req = https.request({
      host: base.hostname, port: base.port, method, path, agent, ca,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
        const extra = { status: res.statusCode, json, reused: req.reusedSocket };
        if (res.statusCode >= 200 && res.statusCode < 300) extra.full = text === '' || json !== null;
        if (res.statusCode >= 300 && json) extra.reason = [json.error, json.reason].filter(Boolean).join('/');
        if (res.headers['retry-after']) extra.retry = res.headers['retry-after'];
        finish(extra);
      });
      res.on('aborted', () => finish({ status: 0, err: `aborted after status ${res.statusCode}`, reused: req.reusedSocket }));
      res.on('error', (e) => finish({ status: 0, err: e.code || e.message, reused: req.reusedSocket }));
    });
    req.on('error', (e) => finish({ status: 0, err: e.code || e.message, reused: req.reusedSocket }));
    req.on('socket', (socket) => {
      if (!req.reusedSocket) socket.once('secureConnect', () => { secured = now(); });
    });
    req.setTimeout(timeoutMs, () => { finish({ status: 0, err: 'timeout', reused: req.reusedSocket }); req.destroy(); });
    if (body !== undefined) req.write(body);
    req.end();
    out.t0 = now();
  });
}

function keep(k, c, tok, answer, more = {}) {
  const { json, ...rest } = answer;
  records.push({ k, c, tok, ...rest, ...more });
}

function newCiphertext() {
  const bytes = 1024 + crypto.randomInt(3 * 1024);
  return `x1.${crypto.randomBytes(bytes).toString('base64')}`;
}

// One app: get then update, on its own users in turn.
async function writer(c, pause = 100) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const mine = tokens.map((_, i) => i).filter((i) => i % clients === c);
  let turn = 0;
  while (running) {
    const tok = mine[turn++ % mine.length];
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens[tok]}` };
    const read = await request(agent, 'POST', `${api}/get-vault-data`, headers, '{}');
    keep('get', c, tok, read);
    if (read.status !== 200 || !read.json) { if (running) await sleep(pause); continue; }
    if (!running) break;
    const data = newCiphertext();
    const ver = read.json.version + 1;
    const sha = crypto.createHash('sha256').update(data).digest('hex');
    const body = JSON.stringify({ newEncryptedData: data, version: read.json.version });
    const write = await request(agent, 'POST', `${api}/update-vault-data`, headers, body);
    keep('put', c, tok, write, { ver, sha, acked: write.status === 200 && write.json?.version === ver });
    if (write.status !== 200 && running) await sleep(pause);
  }
  agent.destroy();
}

async function readyPoller() {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  while (running) {
    const started = now();
    keep('ready', -1, -1, await request(agent, 'GET', '/health/ready', {}));
    await sleep(Math.max(0, 250 - (now() - started)));
  }
  agent.destroy();
}

function processGone(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function modeWrites() {
  const deadline = now() + Number(args['max-seconds']) * 1000;
  const work = [readyPoller(), ...Array.from({ length: clients }, (_, c) => writer(c))];
  while (now() < deadline && !(args['stop-file'] && fs.existsSync(args['stop-file']))) await sleep(100);
  running = false;
  await Promise.all(work);
}

async function modeSigterm() {
  const pid = Number(args.pid);
  if (!pid) { console.error('missing --pid'); process.exit(2); }
  const work = Array.from({ length: clients }, (_, c) => writer(c, 20));
  await sleep(Number(args['signal-after']) * 1000);
  // A task of its own: every request started before it has been written out.
  await new Promise((r) => setImmediate(r));
  const t = now();
  process.kill(pid, 'SIGTERM');
  records.push({ k: 'signal', t });
  const bound = t + Number(args['after-seconds']) * 1000;
  let goneAt = null;
  const probes = [];
  while (now() < bound && (goneAt === null || now() < goneAt + 1000)) {
    probes.push(request(false, 'GET', '/health/live', {}).then((a) => keep('probe', -1, -1, a)));
    await sleep(50);
    if (goneAt === null && processGone(pid)) goneAt = now();
  }
  running = false;
  await Promise.all([...work, ...probes]);
  if (goneAt !== null) records.push({ k: 'gone', t: goneAt });
}

if (args.mode === 'writes') await modeWrites();
else if (args.mode === 'sigterm') await modeSigterm();
else { console.error(`unknown --mode ${args.mode}`); process.exit(2); }
fs.writeFileSync(args.out, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
