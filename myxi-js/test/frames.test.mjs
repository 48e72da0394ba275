// How frames are told apart: application events (mq) vs replies vs control frames, errors nobody
// handled, and frames the client drops (the debug event).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MyxiError } from '../src/myxi.js';
import { connectClientFor, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

async function subscribedClient(t, options) {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, options);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  return { server, connection, subscription };
}

test('application events named like control frames reach the application and change nothing in the client', async (t) => {
  const { server, connection, subscription } = await subscribedClient(t);
  const clientEvents = [];
  for (const name of ['state', 'SocketDisconnected', 'Reconnecting', 'error', 'AuthenticationFailed']) {
    connection.on(name, (payload) => clientEvents.push([name, payload]));
  }
  const received = [];
  subscription.on('*', (payload, frame) => received.push(frame.event));
  const names = ['Unsubscribed', 'AuthenticationExpired', 'MissedEvents', 'Error', 'InternalError', 'Welcome', 'Subscribed'];
  for (const name of names) {
    server.publish('widgets', '1', name, { auto: true, exchange: 'widgets', routing_key: '1', error: 'Boom', id: 'x' });
  }
  server.publish('widgets', '1', 'Last', {});
  await waitForEvent(subscription, 'Last');
  assert.deepEqual(received, [...names, 'Last']);
  assert.deepEqual(clientEvents, []);
  assert.equal(connection.state, 'ready');
  assert.equal(subscription.state, 'subscribed');
  assert.notEqual(connection.sessionId, undefined);
  assert.equal(server.sessions.length, 1, 'no reconnect');
  const after = waitForEvent(subscription, 'Tick');
  server.publish('widgets', '1', 'Tick', 'still subscribed');
  assert.equal(await after, 'still subscribed');
});

test('errors the client handles itself do not fire the connection error event (AlreadySubscribed, retryable ones)', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  const errors = [];
  connection.on('error', (error) => errors.push(error.code));
  connection.on('Error', (payload) => errors.push(payload.error));
  server.subscribeErrors.set('widgets/1', 'AlreadySubscribed');
  server.subscribeErrors.set('widgets/2', 'RateLimited');
  const one = connection.subscribe('widgets', '1');
  const two = connection.subscribe('widgets', '2');
  await waitForEvent(one, 'Subscribed');
  await waitForEvent(two, 'Retrying');
  server.subscribeErrors.delete('widgets/2');
  await waitForEvent(two, 'Subscribed');
  await assert.rejects(connection.sendAction('NoSuchAction'), MyxiError);
  assert.deepEqual(errors, []);
});

test('a final subscribe error nobody listens to fires the connection error event with a MyxiError', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  server.subscribeErrors.set('nope/1', 'InvalidExchange');
  connection.subscribe('nope', '1');
  const error = await waitForEvent(connection, 'error');
  assert.ok(error instanceof MyxiError);
  assert.equal(error.code, 'InvalidExchange');
  assert.equal(error.retryable, false);
  assert.equal(error.payload.exchange, 'nope');
});

test('an Error frame no action waits for fires Error and error', async (t) => {
  const { server, connection } = await subscribedClient(t);
  const byName = waitForEvent(connection, 'Error');
  const unhandled = waitForEvent(connection, 'error');
  server.send(server.sessions[0], { event: 'Error', payload: { error: 'InvalidJSON' } });
  assert.deepEqual(await byName, { error: 'InvalidJSON' });
  assert.equal((await unhandled).code, 'InvalidJSON');
});

test('without an error listener, unhandled errors are logged through the logger', async (t) => {
  const warnings = [];
  const { server, connection } = await subscribedClient(t, { logger: { warn: (...args) => warnings.push(args) } });
  const byName = waitForEvent(connection, 'Error');
  server.send(server.sessions[0], { event: 'Error', payload: { error: 'InvalidJSON' } });
  await byName;
  assert.match(warnings[0][0], /unhandled InvalidJSON/);
});

test('MyxiError tells retryable codes from final ones', () => {
  for (const code of ['RateLimited', 'BrokerUnavailable', 'Timeout', 'Disconnected', 'InternalError']) {
    assert.equal(new MyxiError(code).retryable, true, code);
  }
  for (const code of ['InvalidAuthentication', 'SubscriptionDenied', 'InvalidExchange', 'AuthRequired', 'TooManySubscriptions']) {
    assert.equal(new MyxiError(code).retryable, false, code);
  }
  const error = new MyxiError('RateLimited', undefined, { frame: { event: 'Error', payload: { error: 'RateLimited' } } });
  assert.deepEqual(error.payload, { error: 'RateLimited' });
  assert.ok(error instanceof Error);
});

test('frames the client drops are reported through the debug event', async (t) => {
  const { server, connection } = await subscribedClient(t);
  const dropped = [];
  connection.on('debug', (debug) => dropped.push(debug.message));
  const session = server.sessions[0];
  session.socket.send('not json');
  session.socket.send('[1, 2]');
  server.send(session, { event: 'Pong', tag: 9999, payload: {} });
  server.send(session, { event: 'Tick', payload: {}, mq: { e: 'widgets', rk: 'unknown' } });
  server.send(session, { event: 'Unsubscribed', payload: { exchange: 'widgets', routing_key: 'unknown', auto: true } });
  await connection.sendAction('Ping');
  assert.deepEqual(dropped, [
    'dropped a frame that is not JSON',
    'dropped a frame without an event name',
    'a reply with an unknown tag',
    'an event for no subscription',
    'Unsubscribed for no live subscription',
  ]);
});

test('a reply that arrives after its action timed out is only a debug event', async (t) => {
  const server = await startServerFor(t);
  server.silentActions.add('Slow');
  const connection = connectClientFor(t, server.url, { actionTimeoutMs: 50 });
  await waitForEvent(connection, 'SocketConnected');
  const errors = [];
  connection.on('error', (error) => errors.push(error));
  connection.on('Error', (payload) => errors.push(payload));
  await assert.rejects(connection.sendAction('Slow'), { code: 'Timeout' });
  const late = waitForEvent(connection, 'debug', (debug) => debug.message === 'a reply after its action timed out');
  const { tag } = server.receivedActions.at(-1);
  server.send(server.sessions[0], { event: 'Error', tag, payload: { error: 'RateLimited' } });
  await late;
  assert.deepEqual(errors, []);
});
