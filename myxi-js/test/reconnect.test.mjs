import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_CODE_EVENTS } from '../src/myxi.js';
import { VALID_TOKEN, connectClientFor, delay, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

const subscribesOf = (server, session) =>
  server.receivedActions.filter((action) => action.session === session && action.action === 'Subscribe');

test('subscriptions are sent again after the server closes the socket', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  const one = connection.subscribe('widgets', '1');
  const two = connection.subscribe('users', 'alice');
  await Promise.all([waitForEvent(one, 'Subscribed'), waitForEvent(two, 'Subscribed')]);

  const disconnected = waitForEvent(connection, 'SocketDisconnected');
  const reconnecting = waitForEvent(connection, 'Reconnecting');
  const resubscribed = Promise.all([waitForEvent(one, 'Subscribed'), waitForEvent(two, 'Subscribed')]);
  server.closeAll(1001, 'node shutting down');

  assert.deepEqual(await disconnected, { code: 1001, reason: 'node shutting down' });
  assert.equal(one.subscribed, false);
  assert.equal((await reconnecting).attempt, 1);
  await resubscribed;
  const [firstSession, secondSession] = server.sessions;
  assert.equal(subscribesOf(server, firstSession).length, 2);
  assert.deepEqual(
    subscribesOf(server, secondSession).map((action) => action.payload),
    [
      { exchange: 'widgets', routing_key: '1' },
      { exchange: 'users', routing_key: 'alice' },
    ],
  );
  const delivered = waitForEvent(one, 'WidgetUpdated');
  server.publish('widgets', '1', 'WidgetUpdated', { after: 'reconnect' });
  assert.deepEqual(await delivered, { after: 'reconnect' });
});

test('authentication runs after every connect and resubscription waits for it', async (t) => {
  const server = await startServerFor(t);
  server.authenticationDelayMs = 30;
  const connection = connectClientFor(t, server.url);
  let authentications = 0;
  connection.authentication((conn) => {
    authentications += 1;
    assert.equal(conn, connection);
    return conn.sendAction('Authenticate', { token: VALID_TOKEN });
  });
  const authenticated = [];
  connection.on('SocketAuthenticated', () => authenticated.push(connection.isAuthenticated()));
  // Whether the session was authenticated when each Subscribe arrived, per session.
  const authenticatedAtSubscribe = [];
  server.on('action', ({ action, session }) => {
    if (action === 'Subscribe') authenticatedAtSubscribe.push([server.sessions.indexOf(session), session.authenticated]);
  });
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');

  const resubscribed = waitForEvent(subscription, 'Subscribed');
  server.closeAll(1001);
  assert.equal(connection.isAuthenticated(), true, 'still authenticated until the close arrives');
  await waitForEvent(connection, 'SocketDisconnected');
  assert.equal(connection.isAuthenticated(), false);
  await resubscribed;

  assert.equal(authentications, 2);
  assert.deepEqual(authenticated, [true, true]);
  assert.deepEqual(authenticatedAtSubscribe, [
    [0, true],
    [1, true],
  ]);
  for (const session of server.sessions) {
    const actions = server.receivedActions.filter((action) => action.session === session).map((action) => action.action);
    assert.deepEqual(actions, ['Authenticate', 'Subscribe']);
  }
});

test('a failed authentication fires AuthenticationFailed and holds subscriptions back', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  connection.authentication((conn) => conn.sendAction('Authenticate', { token: 'wrong' }));
  const subscription = connection.subscribe('widgets', '1');
  const failure = await waitForEvent(connection, 'AuthenticationFailed');
  assert.equal(failure.code, 'InvalidAuthentication');
  assert.equal(connection.isAuthenticated(), false);
  await connection.sendAction('Ping');
  assert.equal(subscribesOf(server, server.sessions[0]).length, 0);

  // The app may still decide the session is good enough, e.g. after authenticating another way.
  connection.markAuthenticated();
  assert.equal(connection.isAuthenticated(), true);
  await waitForEvent(subscription, 'Subscribed');
});

test('an authentication that times out is retried on a fresh connection', async (t) => {
  const server = await startServerFor(t);
  server.silentActions.add('Authenticate');
  const connection = connectClientFor(t, server.url, { actionTimeoutMs: 200 });
  connection.authentication((conn) => conn.sendAction('Authenticate', { token: VALID_TOKEN }));
  const subscription = connection.subscribe('widgets', '1');
  const failure = waitForEvent(connection, 'AuthenticationFailed');
  const disconnected = waitForEvent(connection, 'SocketDisconnected');
  assert.equal((await failure).code, 'Timeout');
  assert.deepEqual(await disconnected, { code: 1000, reason: 'authentication timed out' });

  server.silentActions.delete('Authenticate');
  await waitForEvent(subscription, 'Subscribed');
  // On a busy machine a later Authenticate may time out too and cost another round.
  assert.ok(server.sessions.length >= 2);
  assert.notEqual(server.sessions[0].socket.readyState, 1, 'the timed-out socket was closed');
  assert.equal(connection.isAuthenticated(), true);
  assert.equal(server.openSessions().at(-1).authenticated, true);
});

test('an authentication callback without a promise calls markAuthenticated itself, as with the gem', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  connection.authentication((conn) => {
    conn.sendAction('Authenticate', { token: VALID_TOKEN }).then(() => conn.markAuthenticated());
  });
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(connection, 'SocketAuthenticated');
  await waitForEvent(subscription, 'Subscribed');
  assert.deepEqual(
    server.receivedActions.map((action) => action.action),
    ['Authenticate', 'Subscribe'],
  );
});

test('each documented close code fires its named event, and the client reconnects', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  for (const [code, eventName] of Object.entries(CLOSE_CODE_EVENTS)) {
    await waitForEvent(connection, 'SocketConnected', () => connection.isConnected());
    const named = waitForEvent(connection, eventName);
    server.closeAll(Number(code), `closed with ${code}`);
    assert.deepEqual(await named, { code: Number(code), reason: `closed with ${code}` });
  }
  assert.deepEqual(Object.values(CLOSE_CODE_EVENTS), [
    'GoingAway',
    'MessageTooBig',
    'SlowConsumer',
    'RateLimited',
    'AuthenticationTimeout',
    'TooManyConnections',
  ]);
  await waitForEvent(connection, 'SocketConnected');
});

test('disconnect() closes, rejects pending actions and never reconnects', async (t) => {
  const server = await startServerFor(t);
  server.silentActions.add('Ping');
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');
  const pending = connection.sendAction('Ping');
  const events = [];
  for (const name of ['SocketDisconnected', 'Reconnecting', 'SocketConnected']) {
    connection.on(name, (payload) => events.push([name, payload]));
  }
  const serverSawClose = new Promise((resolve) => server.sessions[0].socket.once('close', (code) => resolve(code)));

  connection.disconnect();

  await assert.rejects(pending, { code: 'Disconnected' });
  assert.equal(await serverSawClose, 1000);
  await delay(150); // several times capMs: a reconnect would have happened by now
  assert.deepEqual(events, [['SocketDisconnected', { code: 1000, reason: 'disconnect' }]]);
  assert.equal(server.sessions.length, 1);
  assert.equal(connection.isConnected(), false);
  await assert.rejects(connection.sendAction('Ping'), { code: 'Disconnected' });
});

test('disconnect() while waiting to reconnect cancels the reconnect', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, { reconnect: { baseMs: 50, capMs: 50 } });
  await waitForEvent(connection, 'SocketConnected');
  const reconnecting = waitForEvent(connection, 'Reconnecting');
  server.closeAll(1001);
  await reconnecting;
  connection.disconnect();
  await delay(120);
  assert.equal(server.sessions.length, 1);
});

test('a server that accepts and closes at once is retried with growing backoff, not in a loop', async (t) => {
  const server = await startServerFor(t);
  server.onConnection = (session) => {
    session.socket.close(4004, 'full');
    return false;
  };
  const baseMs = 10;
  const capMs = 80;
  const connection = connectClientFor(t, server.url, { reconnect: { baseMs, capMs } });
  const attempts = [];
  connection.on('Reconnecting', (attempt) => attempts.push({ ...attempt, at: performance.now() }));
  const connectedAt = [];
  server.on('connection', () => connectedAt.push(performance.now()));

  await waitForEvent(connection, 'Reconnecting', () => attempts.length === 8);

  // Connections that open and close at once never count as stable: the backoff keeps growing.
  assert.deepEqual(attempts.map((attempt) => attempt.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
  attempts.forEach(({ attempt, delayMs }) => {
    assert.ok(delayMs >= 0 && delayMs < Math.min(capMs, baseMs * 2 ** (attempt - 1)), `${attempt}: ${delayMs}`);
  });
  // Each reconnect waited about its announced delay. Node measures timers from the event loop's
  // cached time, which can lag performance.now() by a few ms on a busy machine: hence the slack.
  for (let i = 0; i < attempts.length - 1; i++) {
    assert.ok(connectedAt[i + 1] - attempts[i].at >= attempts[i].delayMs - 10, `attempt ${i + 1}`);
  }
  assert.equal(connection.isConnected(), false);
});
