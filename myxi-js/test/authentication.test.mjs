// Authentication failures: refusals are final and surfaced; failures are retried with backoff,
// asking the application's callback (for a fresh token) each time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VALID_TOKEN, connectClientFor, delay, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

test('a failing token endpoint is retried with backoff on the same socket, then authentication succeeds', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  let tokenRequests = 0;
  connection.authentication(async (c) => {
    tokenRequests += 1;
    if (tokenRequests === 1) throw new Error('token endpoint answered 503');
    return c.sendAction('Authenticate', { token: VALID_TOKEN });
  });
  const failures = [];
  connection.on('AuthenticationFailed', (error, details) => failures.push([error.message, details.retryable, typeof details.delayMs]));
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  assert.equal(tokenRequests, 2);
  assert.deepEqual(failures, [['token endpoint answered 503', true, 'number']]);
  assert.equal(server.sessions.length, 1, 'the same socket');
  assert.equal(connection.state, 'ready');
});

test('InternalError from the Authenticate action is retried too', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  let attempts = 0;
  connection.authentication((c) => (++attempts === 1 ? c.sendAction('Fail') : c.sendAction('Authenticate', { token: VALID_TOKEN })));
  await connection.ready();
  assert.equal(attempts, 2);
});

test('InvalidAuthentication is a refusal: surfaced once, not retried, ready() rejects', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  let attempts = 0;
  connection.authentication((c) => {
    attempts += 1;
    return c.sendAction('Authenticate', { token: 'wrong' });
  });
  const ready = connection.ready();
  const [error, details] = await new Promise((resolve) => connection.on('AuthenticationFailed', (...args) => resolve(args)));
  assert.equal(error.code, 'InvalidAuthentication');
  assert.equal(error.retryable, false);
  assert.equal(details.retryable, false);
  await assert.rejects(ready, { code: 'InvalidAuthentication' });
  await delay(100); // several backoff ceilings (capMs 40)
  assert.equal(attempts, 1);
  assert.equal(connection.state, 'connected');
});

test('an application error marked retryable: false is a refusal', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  let attempts = 0;
  connection.authentication(async () => {
    attempts += 1;
    throw Object.assign(new Error('signed out'), { retryable: false });
  });
  await assert.rejects(connection.ready(), /signed out/);
  await delay(100);
  assert.equal(attempts, 1);
});

test('a callback that returns nothing gets one warning, and subscriptions wait for markAuthenticated()', async (t) => {
  const server = await startServerFor(t);
  const warnings = [];
  const connection = connectClientFor(t, server.url, { logger: { warn: (message) => warnings.push(message) } });
  connection.authentication(() => {
    connection.sendAction('Authenticate', { token: VALID_TOKEN }).catch(() => {}); // forgot `return`
  });
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(connection, 'SocketConnected');
  await server.nextAction('Authenticate');
  await connection.sendAction('Ping');
  assert.equal(connection.state, 'authenticating');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /returned no promise/);
  server.closeAll(1001);
  await waitForEvent(connection, 'SocketConnected');
  await connection.sendAction('Ping');
  assert.equal(warnings.length, 1, 'warned once');
  connection.markAuthenticated();
  await waitForEvent(subscription, 'Subscribed');
});
