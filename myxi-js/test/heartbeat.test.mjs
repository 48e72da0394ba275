// The heartbeat: a Ping after intervalMs without frames; no frame within timeoutMs drops the
// socket and reconnects. With Node's mock timers and an in-memory socket, so it is exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection } from '../src/myxi.js';

class FakeWebSocket {
  static instances = [];

  constructor(url) {
    this.url = url;
    this.sent = [];
    this.closed = null;
    FakeWebSocket.instances.push(this);
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close(code, reason) {
    this.closed = { code, reason };
  }

  open() {
    this.onopen({});
  }

  receive(frame) {
    this.onmessage({ data: JSON.stringify(frame) });
  }
}

function setUp(t, options = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  FakeWebSocket.instances = [];
  const connection = new Connection('wss://example.test/', {
    WebSocket: FakeWebSocket,
    heartbeat: { intervalMs: 25000, timeoutMs: 10000 },
    ...options,
  });
  t.after(() => connection.disconnect());
  const socket = () => FakeWebSocket.instances.at(-1);
  socket().open();
  return { connection, socket };
}

// Lets promise callbacks run (setImmediate is not mocked).
const settle = () => new Promise((resolve) => setImmediate(resolve));
const pings = (socket) => socket.sent.filter((frame) => frame.action === 'Ping');

test('defaults: a Ping every 25 s of silence, 10 s to answer', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const connection = new Connection('wss://example.test/', { WebSocket: FakeWebSocket, autoConnect: false });
  assert.deepEqual(connection.heartbeatOptions, { intervalMs: 25000, timeoutMs: 10000 });
  assert.equal(connection.connectTimeoutMs, 10000);
  assert.deepEqual(connection.reconnectOptions, { baseMs: 500, capMs: 1000, maxAttempts: Infinity, resetAfterMs: 5000 });
});

test('a silent socket is pinged, and dropped when nothing arrives within the timeout', async (t) => {
  const { connection, socket } = setUp(t);
  const disconnects = [];
  connection.on('SocketDisconnected', (event) => disconnects.push(event));
  const first = socket();
  t.mock.timers.tick(24999);
  assert.equal(pings(first).length, 0);
  t.mock.timers.tick(1);
  assert.equal(pings(first).length, 1);
  t.mock.timers.tick(9999);
  await settle();
  assert.equal(connection.isConnected(), true);
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual(disconnects, [{ code: 1000, reason: 'heartbeat timed out' }]);
  assert.deepEqual(first.closed, { code: 1000, reason: 'heartbeat timed out' });
  // The socket was up for more than resetAfterMs: the reconnect comes within baseMs.
  t.mock.timers.tick(500);
  assert.equal(FakeWebSocket.instances.length, 2);
});

test('a Pong keeps the socket, and the next Ping comes an interval later', async (t) => {
  const { connection, socket } = setUp(t);
  t.mock.timers.tick(25000);
  const [ping] = pings(socket());
  socket().receive({ event: 'Pong', tag: ping.tag, payload: {} });
  await settle();
  t.mock.timers.tick(24999);
  assert.equal(pings(socket()).length, 1);
  t.mock.timers.tick(1);
  assert.equal(pings(socket()).length, 2);
  assert.equal(connection.isConnected(), true);
});

test('any frame proves the link alive: no Ping while frames flow, no drop when the Pong is late but other frames came', async (t) => {
  const { connection, socket } = setUp(t);
  for (let i = 0; i < 10; i++) {
    t.mock.timers.tick(20000);
    socket().receive({ event: 'Tick', payload: {} });
  }
  assert.equal(pings(socket()).length, 0);
  t.mock.timers.tick(25000);
  assert.equal(pings(socket()).length, 1);
  t.mock.timers.tick(5000);
  socket().receive({ event: 'Tick', payload: {} }); // a busy session: the Pong waits its turn
  t.mock.timers.tick(5000);
  await settle();
  assert.equal(connection.isConnected(), true);
});

test('heartbeat: false sends no Ping', (t) => {
  const { socket } = setUp(t, { heartbeat: false });
  t.mock.timers.tick(600000);
  assert.equal(pings(socket()).length, 0);
});
