// Reconnect timing with an in-memory WebSocket and Node's mock timers, so it is exact and instant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection, reconnectDelay } from '../src/myxi.js';

function fakeWebSocketClass() {
  return class FakeWebSocket {
    static instances = [];

    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      FakeWebSocket.instances.push(this);
    }

    send(data) {
      this.sent.push(JSON.parse(data));
    }

    close() {
      this.readyState = 3;
    }

    // What the server or the network does:
    open() {
      this.readyState = 1;
      this.onopen({});
    }

    drop(code = 1006, reason = '') {
      this.readyState = 3;
      this.onclose({ code, reason });
    }
  };
}

function setUp(t, reconnect) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const FakeWebSocket = fakeWebSocketClass();
  const connection = new Connection('wss://example.test/ws/', { WebSocket: FakeWebSocket, reconnect });
  t.after(() => connection.disconnect());
  const reconnecting = [];
  connection.on('Reconnecting', (event) => reconnecting.push(event));
  const latestSocket = () => FakeWebSocket.instances.at(-1);
  const socketCount = () => FakeWebSocket.instances.length;
  return { connection, reconnecting, latestSocket, socketCount };
}

test('reconnectDelay: full jitter below min(cap, base * 2^(attempt-1))', () => {
  const options = { baseMs: 500, capMs: 30000 };
  const almostOne = () => 0.9999999;
  const ceilings = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => reconnectDelay(attempt, options, almostOne) + 1);
  assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(reconnectDelay(3, options, () => 0), 0);
  assert.equal(reconnectDelay(3, options, () => 0.5), 1000);
  assert.equal(reconnectDelay(5000, options, almostOne), 29999, 'huge attempt counts stay capped');
});

test('reconnectDelay with Math.random is jittered and bounded', () => {
  const delays = Array.from({ length: 200 }, () => reconnectDelay(4, { baseMs: 500, capMs: 30000 }));
  assert.ok(delays.every((delayMs) => Number.isInteger(delayMs) && delayMs >= 0 && delayMs < 4000));
  assert.ok(new Set(delays).size > 50, 'delays are spread out, not one fixed value');
});

test('the backoff doubles per failed attempt up to the cap, and waits that long', (t) => {
  t.mock.method(Math, 'random', () => 0.5);
  const { reconnecting, latestSocket, socketCount } = setUp(t, { baseMs: 100, capMs: 1000 });
  assert.equal(latestSocket().url, 'wss://example.test/ws/', 'the URL is used as given');
  for (let attempt = 1; attempt <= 7; attempt++) {
    latestSocket().drop();
    const { delayMs } = reconnecting.at(-1);
    assert.deepEqual(reconnecting.at(-1), { attempt, delayMs: Math.min(1000, 100 * 2 ** (attempt - 1)) / 2 });
    const socketsBefore = socketCount();
    t.mock.timers.tick(delayMs - 1);
    assert.equal(socketCount(), socketsBefore, 'no reconnect before the delay is over');
    t.mock.timers.tick(1);
    assert.equal(socketCount(), socketsBefore + 1);
  }
  assert.deepEqual(
    reconnecting.map((event) => event.delayMs),
    [50, 100, 200, 400, 500, 500, 500],
  );
});

test('connections that open and close at once do not reset the backoff; one that stayed up does', (t) => {
  t.mock.method(Math, 'random', () => 0.5);
  const { connection, reconnecting, latestSocket } = setUp(t, { baseMs: 100, capMs: 10000, resetAfterMs: 5000 });
  const disconnects = [];
  connection.on('SocketDisconnected', (event) => disconnects.push(event));
  for (let i = 0; i < 4; i++) {
    latestSocket().open();
    t.mock.timers.tick(4999);
    latestSocket().drop(4002, 'rate limited');
    t.mock.timers.tick(reconnecting.at(-1).delayMs);
  }
  assert.deepEqual(reconnecting.map((event) => event.attempt), [1, 2, 3, 4]);
  assert.deepEqual(disconnects.at(-1), { code: 4002, reason: 'rate limited' });

  latestSocket().open();
  t.mock.timers.tick(5000);
  latestSocket().drop();
  assert.deepEqual(reconnecting.at(-1), { attempt: 1, delayMs: 50 });
});

test('after maxAttempts failed reconnects the client gives up with ReconnectFailed', (t) => {
  const { connection, reconnecting, latestSocket, socketCount } = setUp(t, { baseMs: 100, capMs: 1000, maxAttempts: 3 });
  const failures = [];
  connection.on('ReconnectFailed', (event) => failures.push(event));
  for (let i = 0; i < 3; i++) {
    latestSocket().drop();
    t.mock.timers.tick(1000);
  }
  latestSocket().drop();
  assert.equal(reconnecting.length, 3);
  assert.deepEqual(failures, [{ attempts: 3 }]);
  t.mock.timers.tick(60000);
  assert.equal(socketCount(), 4);
});

test('disconnect() during the backoff wait cancels the pending reconnect', (t) => {
  const { connection, latestSocket, socketCount } = setUp(t, { baseMs: 100, capMs: 1000 });
  latestSocket().open();
  latestSocket().drop();
  connection.disconnect();
  t.mock.timers.tick(60000);
  assert.equal(socketCount(), 1);
});
