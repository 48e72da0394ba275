import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClientFor, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

test('Welcome sets the session id and SocketConnected fires', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  const welcome = await waitForEvent(connection, 'Welcome');
  assert.match(welcome.id, /^[0-9a-f]{16}$/);
  assert.equal(connection.sessionId, welcome.id);
  assert.equal(connection.isConnected(), true);
});

test('tags are incrementing integers and replies settle the action with the same tag', async (t) => {
  const server = await startServerFor(t);
  // Answer the two Pings in reverse order, so a client matching by arrival order would mix them up.
  server.silentActions.add('Ping');
  const received = [];
  server.on('action', (action) => received.push(action));
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');

  const first = connection.sendAction('Ping', { n: 1 });
  const second = connection.sendAction('Ping', { n: 2 });
  await server.nextAction('Ping', (action) => action.payload.n === 2);
  const [firstTag, secondTag] = received.map((action) => action.tag);
  assert.ok(Number.isInteger(firstTag));
  assert.equal(secondTag, firstTag + 1);
  const session = server.sessions[0];
  server.send(session, { event: 'Pong', tag: secondTag, payload: { n: 2 } });
  server.send(session, { event: 'Pong', tag: firstTag, payload: { n: 1 } });

  assert.deepEqual(await first, { event: 'Pong', tag: firstTag, payload: { n: 1 } });
  assert.deepEqual(await second, { event: 'Pong', tag: secondTag, payload: { n: 2 } });
});

test('replies are also emitted as connection events', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');
  const pongEvent = waitForEvent(connection, 'Pong');
  const reply = await connection.sendAction('Ping');
  assert.deepEqual(await pongEvent, reply.payload);
});

test('an Error reply rejects with its error code', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');
  await assert.rejects(connection.sendAction('NoSuchAction'), (error) => {
    assert.equal(error.code, 'InvalidAction');
    assert.equal(error.action, 'NoSuchAction');
    assert.equal(error.frame.event, 'Error');
    return true;
  });
});

test('an InternalError reply rejects with code InternalError', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');
  await assert.rejects(connection.sendAction('Fail'), { code: 'InternalError' });
});

test('an action without a reply rejects with Timeout after actionTimeoutMs', async (t) => {
  const server = await startServerFor(t);
  server.silentActions.add('Ping');
  const connection = connectClientFor(t, server.url, { actionTimeoutMs: 50 });
  await waitForEvent(connection, 'SocketConnected');
  const started = Date.now();
  await assert.rejects(connection.sendAction('Ping'), { code: 'Timeout' });
  assert.ok(Date.now() - started >= 45);
});

test('pending actions reject with Disconnected when the socket closes first', async (t) => {
  const server = await startServerFor(t);
  server.silentActions.add('Ping');
  const connection = connectClientFor(t, server.url);
  await waitForEvent(connection, 'SocketConnected');
  const pending = connection.sendAction('Ping');
  await server.nextAction('Ping');
  server.closeAll(1001);
  await assert.rejects(pending, { code: 'Disconnected' });
});

test('sendAction while not connected rejects with Disconnected', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  await assert.rejects(connection.sendAction('Ping'), { code: 'Disconnected' });
});
