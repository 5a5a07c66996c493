#!/usr/bin/env node
// Load-client worker for bench/run.py: holds a share of the sockets.
//
// Commands arrive as JSON lines on stdin, one reply per command as a JSON line on
// stdout (see bench/client_py.py for the same protocol in Python):
//   {"cmd":"connect", "urls":[...], "first":i0, "count":n, "tokens":[...],
//    "namespace":"orders", "proto":"rt"|"sio", "concurrency":c, "timeout":s}
//   {"cmd":"expect", "events":K, "timeout":s, "probe":{"url","token","concurrency","max"}|null}
//      -> {"armed":true} at once, then the result when every socket has K events
//   {"cmd":"close", "timeout":s}
//   {"cmd":"exit"}
// Times are milliseconds since the epoch (performance.timeOrigin + now()): the
// server's event `ts` is compared with them, on the same machine clock.
'use strict';

const readline = require('readline');
const WebSocket = require('ws');

let sioConnect = null;
function sio() {
  if (sioConnect === null) sioConnect = require('socket.io-client').io;
  return sioConnect;
}

const origin = performance.timeOrigin;
const now = () => origin + performance.now();
const round = (x) => Math.round(x * 100) / 100;

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// ts "2025-01-01T00:00:00.123456Z" -> ms since epoch, microseconds kept; cached per id.
const tsCache = new Map();
function tsMs(id, ts) {
  let v = tsCache.get(id);
  if (v === undefined) {
    if (typeof ts === 'number') v = ts;
    else {
      const m = /^(.*T\d\d:\d\d:\d\d)(\.(\d+))?(Z|[+-]\d\d:\d\d)?$/.exec(ts);
      if (m) {
        const frac = m[3] ? Number('0.' + m[3]) * 1000 : 0;
        v = Date.parse(m[1] + (m[4] || 'Z')) + frac;
      } else v = Date.parse(ts);
    }
    tsCache.set(id, v);
    if (tsCache.size > 100000) tsCache.clear();
  }
  return v;
}

let sockets = [];
let measure = null; // {events, lat:[], first:[], done, delivered, dupes, ...}

class Sock {
  constructor(proto, url, token, namespace, onDone) {
    this.proto = proto;
    this.token = token;
    this.namespace = namespace;
    this.onDone = onDone; // (err) once subscribed (or failed)
    this.count = 0;
    this.lastId = -1;
    this.stage = 'connecting';
    this.tOpen = now();
    this.authMs = null;
    this.closed = false;
    if (proto === 'sio') {
      this.s = sio()(url, { transports: ['websocket'], forceNew: true, reconnection: false,
                            timeout: 60000 });
      for (const name of ['connected', 'authenticated', 'subscribed', 'error_frame', 'event']) {
        this.s.on(name, (data) => this.onText(typeof data === 'string' ? data
          : JSON.stringify({ type: name === 'error_frame' ? 'error' : name, data })));
      }
      this.s.on('connect_error', (e) => this.fail('connect_error ' + e.message));
      this.s.on('disconnect', () => { this.closed = true; this.fail('closed'); });
    } else {
      this.s = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 60000 });
      this.s.on('message', (data) => this.onText(data.toString()));
      this.s.on('error', (e) => this.fail('error ' + (e.code || e.message)));
      this.s.on('close', (code) => { this.closed = true; this.fail('closed ' + code); });
    }
  }

  send(type, data) {
    if (this.proto === 'sio') this.s.emit(type, data);
    else if (this.s.readyState === WebSocket.OPEN) this.s.send(JSON.stringify({ type, data }));
  }

  fail(why) {
    if (this.stage !== 'ready' && this.stage !== 'failed') {
      this.stage = 'failed';
      this.onDone(why);
    }
  }

  onText(text) {
    const t = now();
    // Events are the hot path: a cheap test before the JSON parse of anything else.
    const f = JSON.parse(text);
    const type = f.type;
    if (f.namespace !== undefined && f.id !== undefined) return this.onEvent(f, t);
    if (type === 'batch') {
      for (const e of f.data) if (e.namespace !== undefined && e.id !== undefined) this.onEvent(e, t);
      return;
    }
    if (type === 'ping') return this.send('pong', f.data);
    if (type === 'connected' && this.stage === 'connecting') {
      this.stage = 'auth';
      this.tAuth = now();
      return this.send('auth', { token: this.token });
    }
    if (type === 'authenticated' && this.stage === 'auth') {
      this.authMs = now() - this.tAuth;
      if (this.namespace === null) {
        this.stage = 'ready';
        return this.onDone(null);
      }
      this.stage = 'subscribe';
      return this.send('subscribe', { namespace: this.namespace });
    }
    if (type === 'subscribed' && this.stage === 'subscribe') {
      this.stage = 'ready';
      return this.onDone(null);
    }
    if (type === 'error') return this.fail('error frame ' + JSON.stringify(f.data));
  }

  onEvent(e, t) {
    const m = measure;
    if (m === null) return;
    if (e.id <= this.lastId) { m.dupes++; return; }
    this.lastId = e.id;
    const lat = t - tsMs(e.id, e.ts);
    m.lat.push(round(lat));
    m.delivered++;
    if (m.firstRecv === null) m.firstRecv = t;
    m.lastRecv = t;
    if (this.count === 0) m.first.push(round(lat));
    this.count++;
    if (this.count === m.events) {
      m.done++;
      if (m.done === sockets.length) finishMeasure();
    }
  }

  close() {
    if (this.proto === 'sio') this.s.disconnect();
    else if (!this.closed) this.s.close(1000);
  }
}

function connect(cmd) {
  return new Promise((resolve) => {
    const { urls, first, count, tokens, namespace, concurrency } = cmd;
    const proto = cmd.proto || 'rt';
    const result = { cmd: 'connect', ok: 0, failed: 0, errors: {}, auth_ms: [], open_ms: [],
                     t_start: now(), t_end: null };
    let next = 0;
    let finished = 0;
    let inFlight = 0;
    const timer = setTimeout(() => finish(true), (cmd.timeout || 120) * 1000);
    let over = false;
    function finish(timedOut) {
      if (over) return;
      over = true;
      clearTimeout(timer);
      result.t_end = now();
      if (timedOut) result.errors.timeout = count - finished;
      resolve(result);
    }
    function launch() {
      while (inFlight < concurrency && next < count) {
        const i = first + next;
        next++;
        inFlight++;
        const s = new Sock(proto, urls[i % urls.length], tokens[i % tokens.length], namespace,
          (err) => {
            inFlight--;
            finished++;
            if (err === null) {
              result.ok++;
              result.auth_ms.push(round(s.authMs));
              result.open_ms.push(round(now() - s.tOpen));
              sockets.push(s);
            } else {
              result.failed++;
              const key = String(err).slice(0, 80);
              result.errors[key] = (result.errors[key] || 0) + 1;
              try { s.close(); } catch (e) { /* already gone */ }
            }
            if (finished === count) finish(false);
            else launch();
          });
      }
    }
    if (count === 0) finish(false);
    else launch();
  });
}

let measureResolve = null;
function finishMeasure() {
  if (measure === null || measure.finished) return;
  measure.finished = true;
  clearTimeout(measure.timer);
  const m = measure;
  measure = null;
  m.stopProbes = true;
  let min = Infinity;
  let max = 0;
  for (const s of sockets) { min = Math.min(min, s.count); max = Math.max(max, s.count); }
  Promise.resolve(m.probesDone).then(() => measureResolve({
    cmd: 'expect', delivered: m.delivered, expected: m.events * sockets.length,
    sockets: sockets.length, complete: m.done, dupes: m.dupes,
    per_socket_min: sockets.length ? min : 0, per_socket_max: max,
    first_recv: m.firstRecv, last_recv: m.lastRecv, lat_ms: m.lat, first_ms: m.first,
    probe_auth_ms: m.probeAuth, probe_errors: m.probeErrors, timed_out: m.timedOut,
  }));
}

function probeLoop(m, p) {
  // Fresh sockets that authenticate while the load runs: auth -> authenticated time.
  return new Promise((resolve) => {
    const step = () => {
      if (m.stopProbes || m.probeAuth.length + m.probeErrors >= (p.max || 200)) return resolve();
      const s = new Sock(p.proto || 'rt', p.url, p.token, null, (err) => {
        if (err === null) m.probeAuth.push(round(s.authMs));
        else m.probeErrors++;
        try { s.close(); } catch (e) { /* gone */ }
        setTimeout(step, p.interval || 20);
      });
    };
    step();
  });
}

function expect(cmd) {
  return new Promise((resolve) => {
    measureResolve = resolve;
    for (const s of sockets) { s.count = 0; }
    measure = { events: cmd.events, lat: [], first: [], done: 0, delivered: 0, dupes: 0,
                firstRecv: null, lastRecv: null, finished: false, timedOut: false,
                probeAuth: [], probeErrors: 0, stopProbes: false, probesDone: null };
    const m = measure;
    m.timer = setTimeout(() => { m.timedOut = true; finishMeasure(); }, cmd.timeout * 1000);
    if (cmd.probe) {
      const loops = [];
      for (let i = 0; i < (cmd.probe.concurrency || 2); i++) loops.push(probeLoop(m, cmd.probe));
      m.probesDone = Promise.all(loops);
    }
    out({ cmd: 'expect', armed: true });
    if (sockets.length === 0 || cmd.events === 0) finishMeasure();
  });
}

function closeAll(cmd) {
  return new Promise((resolve) => {
    const all = sockets;
    sockets = [];
    let open = all.filter((s) => !s.closed).length;
    const total = all.length;
    const deadline = setTimeout(() => resolve({ cmd: 'close', closed: total, lingering: open }),
      (cmd.timeout || 30) * 1000);
    if (open === 0) { clearTimeout(deadline); return resolve({ cmd: 'close', closed: total, lingering: 0 }); }
    for (const s of all) {
      if (s.closed) continue;
      const done = () => {
        open--;
        if (open === 0) { clearTimeout(deadline); resolve({ cmd: 'close', closed: total, lingering: 0 }); }
      };
      if (s.proto === 'sio') s.s.once('disconnect', done);
      else s.s.once('close', done);
      s.close();
    }
  });
}

const rl = readline.createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  chain = chain.then(async () => {
    if (cmd.cmd === 'connect') out(await connect(cmd));
    else if (cmd.cmd === 'expect') out(await expect(cmd));
    else if (cmd.cmd === 'close') out(await closeAll(cmd));
    else if (cmd.cmd === 'exit') process.exit(0);
    else out({ cmd: cmd.cmd, error: 'unknown command' });
  });
});
rl.on('close', () => process.exit(0));
