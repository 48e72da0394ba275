// Per-caller subscription handles over one shared server subscription.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClientFor, delay, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

async function connectedClient(t, options) {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, options);
  await waitForEvent(connection, 'SocketConnected');
  return { server, connection };
}

const actionsNamed = (server, name) => server.receivedActions.filter((action) => action.action === name);

test('two handles of one key each get events until each unsubscribes; the last one ends the server subscription', async (t) => {
  const { server, connection } = await connectedClient(t);
  const first = connection.subscribe('widgets', '1');
  const second = connection.subscribe('widgets', '1');
  await Promise.all([waitForEvent(first, 'Subscribed'), waitForEvent(second, 'Subscribed')]);
  const seen = [];
  first.on('Tick', (payload) => seen.push(['first', payload]));
  second.on('Tick', (payload) => seen.push(['second', payload]));

  server.publish('widgets', '1', 'Tick', 1);
  await waitForEvent(second, 'Tick');
  await first.unsubscribe();
  assert.equal(first.state, 'closed');
  assert.equal(second.state, 'subscribed');
  assert.equal(actionsNamed(server, 'Unsubscribe').length, 0, 'the other handle still needs it');
  server.publish('widgets', '1', 'Tick', 2);
  await waitForEvent(second, 'Tick');
  const unsubscribed = waitForEvent(second, 'Unsubscribed');
  await second.unsubscribe();
  assert.equal((await unsubscribed).auto, false);
  assert.equal(actionsNamed(server, 'Subscribe').length, 1);
  assert.equal(actionsNamed(server, 'Unsubscribe').length, 1);
  assert.equal(server.sessions[0].subscriptions.size, 0);
  assert.deepEqual(seen, [['first', 1], ['second', 1], ['second', 2]]);
  assert.deepEqual(connection.subscriptions(), []);
});

test('a handle joining a confirmed subscription gets Subscribed too, without a second Subscribe', async (t) => {
  const { server, connection } = await connectedClient(t);
  const first = connection.subscribe('widgets', '1');
  await waitForEvent(first, 'Subscribed');
  const late = connection.subscribe('widgets', '1');
  assert.equal(late.state, 'subscribed');
  assert.deepEqual(await waitForEvent(late, 'Subscribed'), { exchange: 'widgets', routing_key: '1' });
  assert.equal(actionsNamed(server, 'Subscribe').length, 1);
});

test('a refused Unsubscribe (RateLimited) is retried with backoff; unsubscribe() resolves only once the server confirmed', async (t) => {
  const { server, connection } = await connectedClient(t);
  const handle = connection.subscribe('widgets', '1');
  await waitForEvent(handle, 'Subscribed');
  server.unsubscribeErrors.set('widgets/1', ['RateLimited', 'RateLimited']);
  const retries = [];
  connection.on('debug', (debug) => debug.error && retries.push(debug.error.code));
  let resolved = false;
  const unsubscribing = handle.unsubscribe().then(() => { resolved = true; });
  await server.nextAction('Unsubscribe');
  assert.equal(resolved, false);
  await unsubscribing;
  assert.equal(actionsNamed(server, 'Unsubscribe').length, 3);
  assert.equal(server.sessions[0].subscriptions.size, 0, 'events stop: the server holds nothing');
  assert.deepEqual(retries, ['RateLimited', 'RateLimited']);
});

test('NotSubscribed answers an Unsubscribe as done', async (t) => {
  const { server, connection } = await connectedClient(t);
  const handle = connection.subscribe('widgets', '1');
  await waitForEvent(handle, 'Subscribed');
  server.sessions[0].subscriptions.clear();
  await handle.unsubscribe();
  assert.equal(handle.state, 'closed');
  assert.deepEqual(connection.subscriptions(), []);
});

test('unsubscribe() while the socket is down resolves at once: the server forgot it with the socket', async (t) => {
  const { server, connection } = await connectedClient(t);
  const handle = connection.subscribe('widgets', '1');
  await waitForEvent(handle, 'Subscribed');
  server.unsubscribeErrors.set('widgets/1', ['RateLimited', 'RateLimited', 'RateLimited', 'RateLimited']);
  const unsubscribing = handle.unsubscribe();
  await server.nextAction('Unsubscribe');
  server.closeAll(1001);
  await unsubscribing;
  await waitForEvent(connection, 'SocketConnected');
  await connection.sendAction('Ping');
  assert.equal(actionsNamed(server, 'Subscribe').length, 1, 'not sent again after the reconnect');
});

test('a handle added while the last one is unsubscribing gets the subscription back after the Unsubscribe', async (t) => {
  const { server, connection } = await connectedClient(t);
  const old = connection.subscribe('widgets', '1');
  await waitForEvent(old, 'Subscribed');
  server.unsubscribeErrors.set('widgets/1', ['RateLimited']);
  const unsubscribing = old.unsubscribe();
  const renewed = connection.subscribe('widgets', '1');
  assert.equal(renewed.state, 'pending');
  await Promise.all([unsubscribing, waitForEvent(renewed, 'Subscribed')]);
  assert.deepEqual(actionsNamed(server, 'Subscribe').length, 2);
  const tick = waitForEvent(renewed, 'Tick');
  server.publish('widgets', '1', 'Tick', 1);
  assert.equal(await tick, 1);
});

test('a revocation ends every handle of the key', async (t) => {
  const { server, connection } = await connectedClient(t);
  const first = connection.subscribe('widgets', '1');
  const second = connection.subscribe('widgets', '1');
  await Promise.all([waitForEvent(first, 'Subscribed'), waitForEvent(second, 'Subscribed')]);
  const revoked = Promise.all([waitForEvent(first, 'Unsubscribed'), waitForEvent(second, 'Unsubscribed')]);
  server.revoke(server.sessions[0], 'widgets', '1');
  assert.deepEqual((await revoked).map((payload) => payload.auto), [true, true]);
  assert.deepEqual([first.state, second.state], ['closed', 'closed']);
  await first.unsubscribe(); // nothing left to do
  await delay(20);
  assert.equal(actionsNamed(server, 'Unsubscribe').length, 0);
});
