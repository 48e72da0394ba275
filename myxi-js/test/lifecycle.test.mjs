// The connection's lifecycle: state, ready(), once, connect() after disconnect(), autoConnect,
// the browser's online/offline and visibility events, the connect timeout and several URLs.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { VALID_TOKEN, connectClientFor, delay, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

// Stands for the browser's window, document and navigator.
function fakeBrowser() {
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { hidden: false });
  const navigator = { onLine: true };
  return {
    environment: { window, document, navigator },
    goOffline() {
      navigator.onLine = false;
      window.dispatchEvent(new Event('offline'));
    },
    goOnline() {
      navigator.onLine = true;
      window.dispatchEvent(new Event('online'));
    },
    setHidden(hidden) {
      document.hidden = hidden;
      document.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

test('state goes connecting, connected, authenticating, ready; ready() resolves; once fires once', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, { autoConnect: false });
  const states = [];
  connection.on('state', (state) => states.push(state));
  let connectedCount = 0;
  connection.once('SocketConnected', () => { connectedCount += 1; });
  const removed = () => assert.fail('removed with off()');
  connection.once('SocketConnected', removed).off('SocketConnected', removed);
  assert.equal(connection.listenerCount('SocketConnected'), 1);
  connection.authentication((c) => c.sendAction('Authenticate', { token: VALID_TOKEN }));
  assert.equal(connection.state, 'disconnected');
  await delay(20);
  assert.equal(server.sessions.length, 0, 'autoConnect: false waits for connect()');
  const ready = connection.ready();
  connection.connect();
  assert.equal(await ready, connection);
  assert.deepEqual(states, ['connecting', 'connected', 'authenticating', 'ready']);
  await connection.ready(); // resolves at once when ready
  server.closeAll(1001);
  await waitForEvent(connection, 'state', (state) => state === 'ready');
  assert.equal(connectedCount, 1);
});

test('connect() after disconnect() connects again and resends the subscriptions', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const waiting = connection.ready();
  connection.disconnect();
  assert.equal(connection.state, 'disconnected');
  const pending = connection.ready();
  connection.disconnect(); // twice is fine
  await assert.rejects(pending, { code: 'Disconnected' });
  await waiting; // it was ready already
  const resubscribed = waitForEvent(subscription, 'Subscribed');
  connection.connect();
  await resubscribed;
  assert.equal(server.sessions.length, 2);
  assert.equal(connection.state, 'ready');
});

test('an authentication callback given as an option is in place before the socket opens', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, {
    authentication: (c) => c.sendAction('Authenticate', { token: VALID_TOKEN }),
  });
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  assert.deepEqual(server.receivedActions.map((action) => action.action), ['Authenticate', 'Subscribe']);
});

test('an authentication callback set on an open socket runs at once', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');
  const authenticated = waitForEvent(connection, 'SocketAuthenticated');
  connection.authentication((c) => c.sendAction('Authenticate', { token: VALID_TOKEN }));
  await authenticated;
  assert.equal(connection.state, 'ready');
});

test('offline drops the socket and makes no attempt until online, which reconnects at once', async (t) => {
  const server = await startServerFor(t);
  const browser = fakeBrowser();
  // A backoff far longer than the test: only the online event can bring the client back in time.
  const connection = connectClientFor(t, server.url, { environment: browser.environment, reconnect: { baseMs: 60000, capMs: 60000 } });
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const disconnected = waitForEvent(connection, 'SocketDisconnected');
  browser.goOffline();
  assert.deepEqual(await disconnected, { code: 1000, reason: 'offline' });
  assert.equal(connection.state, 'connecting');
  await delay(50);
  assert.equal(server.sessions.length, 1, 'no attempt while offline');
  const resubscribed = waitForEvent(subscription, 'Subscribed');
  browser.goOnline();
  await resubscribed;
  assert.equal(server.sessions.length, 2);
});

test('online during a backoff wait reconnects at once', async (t) => {
  // The backoff's full jitter could otherwise pick a delay of a few ms, and the reconnect would come
  // before the test is listening for it (and would not show that online/visible brought it).
  t.mock.method(Math, 'random', () => 0.5);
  const server = await startServerFor(t);
  const browser = fakeBrowser();
  const connection = connectClientFor(t, server.url, { environment: browser.environment, reconnect: { baseMs: 60000, capMs: 60000 } });
  await waitForEvent(connection, 'SocketConnected');
  const reconnecting = waitForEvent(connection, 'Reconnecting');
  server.closeAll(1001);
  await reconnecting;
  const connected = waitForEvent(connection, 'SocketConnected');
  browser.goOnline();
  await connected;
});

test('a connection created while offline waits for online', async (t) => {
  const server = await startServerFor(t);
  const browser = fakeBrowser();
  browser.environment.navigator.onLine = false;
  const connection = connectClientFor(t, server.url, { environment: browser.environment });
  await delay(50);
  assert.equal(server.sessions.length, 0);
  assert.equal(connection.state, 'connecting');
  browser.goOnline();
  await connection.ready();
});

test('visible after a long hide: a waiting reconnect happens at once, an open socket is checked with a Ping', async (t) => {
  // The backoff's full jitter could otherwise pick a delay of a few ms, and the reconnect would come
  // before the test is listening for it (and would not show that online/visible brought it).
  t.mock.method(Math, 'random', () => 0.5);
  const server = await startServerFor(t);
  const browser = fakeBrowser();
  const connection = connectClientFor(t, server.url, {
    environment: browser.environment,
    heartbeat: { intervalMs: 30, timeoutMs: 1000 },
    reconnect: { baseMs: 60000, capMs: 60000 },
  });
  await waitForEvent(connection, 'SocketConnected');
  browser.setHidden(true);
  await delay(40);
  const pinged = server.nextAction('Ping');
  browser.setHidden(false);
  await pinged;

  const reconnecting = waitForEvent(connection, 'Reconnecting');
  server.closeAll(1001);
  await reconnecting;
  browser.setHidden(true);
  await delay(40);
  const connected = waitForEvent(connection, 'SocketConnected');
  browser.setHidden(false);
  await connected;
});

test('disconnect() removes the listeners it added to the window and document', async (t) => {
  const server = await startServerFor(t);
  const added = [];
  const removed = [];
  const target = (name) => ({
    addEventListener: (type) => added.push(`${name}:${type}`),
    removeEventListener: (type) => removed.push(`${name}:${type}`),
  });
  const connection = connectClientFor(t, server.url, { environment: { window: target('window'), document: target('document') } });
  await waitForEvent(connection, 'SocketConnected');
  connection.disconnect();
  assert.deepEqual(added, ['window:online', 'window:offline', 'document:visibilitychange']);
  assert.deepEqual(removed, added);
});

test('a handshake that gets no answer is given up after connectTimeoutMs and tried again', async (t) => {
  // A black hole: accepts TCP connections and never answers.
  const sockets = [];
  const blackHole = createServer((socket) => sockets.push(socket));
  await new Promise((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    blackHole.close();
  });
  const connection = connectClientFor(t, `ws://127.0.0.1:${blackHole.address().port}`, { connectTimeoutMs: 50 });
  const reconnecting = await waitForEvent(connection, 'Reconnecting');
  assert.equal(reconnecting.attempt, 1);
  await waitForEvent(connection, 'Reconnecting', (event) => event.attempt === 2);
  assert.ok(sockets.length >= 2);
});

test('after GoingAway (1001) the next URL of the list is used', async (t) => {
  const first = await startServerFor(t);
  const second = await startServerFor(t);
  const connection = connectClientFor(t, [first.url, second.url]);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  assert.equal(connection.url, first.url);
  const resubscribed = waitForEvent(subscription, 'Subscribed');
  first.closeAll(1001, 'shutting down');
  await resubscribed;
  assert.equal(connection.url, second.url);
  assert.equal(second.sessions.length, 1);
  assert.equal(first.sessions.length, 1);
});

test('a URL that cannot be reached is followed by the next one', async (t) => {
  const server = await startServerFor(t);
  const unused = createServer();
  await new Promise((resolve) => unused.listen(0, '127.0.0.1', resolve));
  const deadUrl = `ws://127.0.0.1:${unused.address().port}`;
  await new Promise((resolve) => unused.close(resolve));
  const connection = connectClientFor(t, [deadUrl, server.url]);
  await connection.ready();
  assert.equal(connection.url, server.url);
});

test('ReconnectFailed rejects ready() and leaves the state disconnected', async (t) => {
  const unused = createServer();
  await new Promise((resolve) => unused.listen(0, '127.0.0.1', resolve));
  const deadUrl = `ws://127.0.0.1:${unused.address().port}`;
  await new Promise((resolve) => unused.close(resolve));
  const connection = connectClientFor(t, deadUrl, { reconnect: { maxAttempts: 2 } });
  await assert.rejects(connection.ready(), { code: 'ReconnectFailed' });
  assert.equal(connection.state, 'disconnected');
});
