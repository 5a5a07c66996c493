#!/usr/bin/env node
// Yardstick: a socket.io server doing the same job minimally (room emit).
//
//   node bench/yardstick_socketio.js PORT     (listens on 127.0.0.1 only)
// A socket gets `connected`; `auth` is answered with `authenticated` (token not
// checked); `subscribe` joins the room `orders` and answers `subscribed`.
// GET /trigger?k=K emits K events to the room: each frame is encoded once (with its
// `ts`, the trigger's arrival) and sent as a string, so the client parses the same JSON as the project's.
'use strict';

const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
let nextId = 1;
const PAYLOAD = { orderId: 0, customerId: 1, customerName: 'Bench Customer', status: 'pending',
                  total: '10.00', channel: 'online', createdAt: '' };

function tsNow() {
  const ms = performance.timeOrigin + performance.now();
  const d = new Date(Math.floor(ms));
  const micro = String(Math.floor((ms % 1000) * 1000)).padStart(6, '0');
  return d.toISOString().slice(0, 19) + '.' + micro + 'Z';
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/trigger') {
    const k = Number(url.searchParams.get('k') || '1');
    res.end(String(k) + '\n');
    let sent = 0;
    // Every event of the trigger exists from its arrival, as a burst of saves does.
    const ts = tsNow();
    const step = () => {
      if (sent >= k) return;
      const id = nextId++;
      const text = JSON.stringify({ type: 'order:created', id, namespace: 'orders', ts,
                                    data: { ...PAYLOAD, orderId: id, createdAt: ts } });
      io.to('orders').emit('event', text);
      sent++;
      setImmediate(step);
    };
    setImmediate(step);
    return;
  }
  if (url.pathname === '/health') { res.end('ok\n'); return; }
  if (url.pathname === '/stats') { res.end(String(io.engine.clientsCount) + '\n'); return; }
  if (!req.url.startsWith('/socket.io/')) { res.statusCode = 404; res.end(); }
});

const io = new Server(server, { transports: ['websocket'], serveClient: false,
                                perMessageDeflate: false, maxHttpBufferSize: 1e6 });
io.on('connection', (socket) => {
  socket.emit('connected', { role: 'guest', protocol: 1 });
  socket.on('auth', () => socket.emit('authenticated',
    { userId: 1, role: 'staff', namespaces: ['orders'] }));
  socket.on('subscribe', () => {
    socket.join('orders');
    socket.emit('subscribed', { namespace: 'orders', lastEventId: 0, recovered: false });
  });
});

server.listen(port, '127.0.0.1');
