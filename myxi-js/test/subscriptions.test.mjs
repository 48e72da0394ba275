import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClientFor, startServerFor, waitForEvent } from '../test-support/fake-server.mjs';

async function connectedClient(t, options) {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, options);
  await waitForEvent(connection, 'SocketConnected');
  return { server, connection };
}

test('subscribe before the socket opens is sent once it is open, and Subscribed fires', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  const subscription = connection.subscribe('widgets', 1234);
  assert.equal(subscription.subscribed, false);
  assert.deepEqual(await waitForEvent(subscription, 'Subscribed'), { exchange: 'widgets', routing_key: '1234' });
  assert.equal(subscription.subscribed, true);
  assert.equal(subscription.routingKey, '1234');
});

test('subscribing twice to the same key returns a handle per call over one Subscribe', async (t) => {
  const { server, connection } = await connectedClient(t);
  const first = connection.subscribe('widgets', '1');
  const second = connection.subscribe('widgets', 1);
  assert.notEqual(second, first);
  await Promise.all([waitForEvent(first, 'Subscribed'), waitForEvent(second, 'Subscribed')]);
  assert.notEqual(connection.subscribe('widgets', '2'), first);
  assert.equal(server.receivedActions.filter((action) => action.payload.routing_key === '1').length, 1);
});

test('app events reach the subscription of their exchange and key only, by name and as *', async (t) => {
  const { server, connection } = await connectedClient(t);
  const one = connection.subscribe('widgets', '1');
  const two = connection.subscribe('widgets', '2');
  await Promise.all([waitForEvent(one, 'Subscribed'), waitForEvent(two, 'Subscribed')]);
  const seenByTwo = [];
  two.on('*', (payload, frame) => seenByTwo.push(frame.event));
  const byName = waitForEvent(one, 'WidgetUpdated');
  const byStar = new Promise((resolve) => one.on('*', (payload, frame) => resolve(frame)));
  const onConnection = waitForEvent(connection, 'WidgetUpdated');

  server.publish('widgets', '1', 'WidgetUpdated', { name: 'sprocket' });

  assert.deepEqual(await byName, { name: 'sprocket' });
  assert.deepEqual(await byStar, { event: 'WidgetUpdated', payload: { name: 'sprocket' }, mq: { e: 'widgets', rk: '1' } });
  assert.deepEqual(await onConnection, { name: 'sprocket' });
  assert.deepEqual(seenByTwo, []);
});

test('unsubscribe() tells the server, fires Unsubscribed and drops the subscription', async (t) => {
  const { server, connection } = await connectedClient(t);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const unsubscribed = waitForEvent(subscription, 'Unsubscribed');
  await subscription.unsubscribe();
  assert.deepEqual(await unsubscribed, { exchange: 'widgets', exchange_name: 'widgets', routing_key: '1', auto: false });
  assert.equal(server.sessions[0].subscriptions.size, 0);
  assert.deepEqual(connection.subscriptions(), []);
  assert.notEqual(connection.subscribe('widgets', '1'), subscription);
});

test('unsubscribe() before the socket is open fires Unsubscribed without asking the server', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url);
  const subscription = connection.subscribe('widgets', '1');
  const unsubscribed = waitForEvent(subscription, 'Unsubscribed');
  await subscription.unsubscribe();
  assert.equal((await unsubscribed).auto, false);
  assert.equal(subscription.state, 'closed');
  await waitForEvent(connection, 'SocketConnected');
  await connection.sendAction('Ping');
  assert.deepEqual(server.receivedActions.map((action) => action.action), ['Ping']);
});

test('Unsubscribed with auto:true removes the subscription and fires Unsubscribed on it', async (t) => {
  const { server, connection } = await connectedClient(t);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const unsubscribed = waitForEvent(subscription, 'Unsubscribed');
  const onConnection = waitForEvent(connection, 'Unsubscribed');

  server.revoke(server.sessions[0], 'widgets', '1');

  assert.equal((await unsubscribed).auto, true);
  assert.equal((await onConnection).auto, true);
  assert.equal(subscription.state, 'closed');
  assert.deepEqual(connection.subscriptions(), []);
  // Not resubscribed after a reconnect.
  server.closeAll(1001);
  await waitForEvent(connection, 'SocketConnected');
  await connection.sendAction('Ping');
  assert.equal(server.receivedActions.filter((action) => action.action === 'Subscribe').length, 1);
});

test('SubscriptionDenied fires on the subscription and removes it', async (t) => {
  const { server, connection } = await connectedClient(t);
  server.deniedKeys.add('secrets/1');
  const subscription = connection.subscribe('secrets', '1');
  const denied = await waitForEvent(subscription, 'SubscriptionDenied');
  assert.deepEqual(denied, { error: 'SubscriptionDenied', exchange: 'secrets', routing_key: '1' });
  assert.equal(subscription.state, 'closed');
  assert.deepEqual(connection.subscriptions(), []);
});

test('a permanent Subscribe error fires Error and removes the subscription', async (t) => {
  const { server, connection } = await connectedClient(t);
  server.subscribeErrors.set('nope/1', 'InvalidExchange');
  const subscription = connection.subscribe('nope', '1');
  assert.equal((await waitForEvent(subscription, 'Error')).error, 'InvalidExchange');
  assert.equal(subscription.state, 'closed');
});

test('BrokerUnavailable fires Retrying (not Error) and the Subscribe is retried after a backoff', async (t) => {
  const { server, connection } = await connectedClient(t);
  server.subscribeErrors.set('widgets/1', 'BrokerUnavailable');
  const subscription = connection.subscribe('widgets', '1');
  const errors = [];
  subscription.on('Error', (payload) => errors.push(payload));
  connection.on('error', (error) => errors.push(error));
  const retrying = await waitForEvent(subscription, 'Retrying');
  assert.equal(retrying.error.code, 'BrokerUnavailable');
  assert.equal(retrying.error.retryable, true);
  assert.equal(retrying.attempt, 1);
  assert.equal(subscription.state, 'pending');
  server.subscribeErrors.delete('widgets/1');
  await waitForEvent(subscription, 'Subscribed');
  assert.deepEqual(errors, []);
});

test('MissedEvents is surfaced on the connection and on every subscription', async (t) => {
  const { server, connection } = await connectedClient(t);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const missed = { from: 1700000000000, to: 1700000005000, reason: 'broker_connection_lost' };
  const onConnection = waitForEvent(connection, 'MissedEvents');
  const onSubscription = waitForEvent(subscription, 'MissedEvents');
  server.send(server.sessions[0], { event: 'MissedEvents', payload: missed });
  assert.deepEqual(await onConnection, missed);
  assert.deepEqual(await onSubscription, missed);
});

test('a throwing listener does not stop other listeners', async (t) => {
  const { server, connection } = await connectedClient(t);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  // Node has no reportError, so the client falls back to console.error.
  const consoleError = t.mock.method(console, 'error', () => {});
  subscription.on('Ping', () => {
    throw new Error('broken listener');
  });
  const delivered = waitForEvent(subscription, 'Ping');
  server.publish('widgets', '1', 'Ping', { ok: true });
  assert.deepEqual(await delivered, { ok: true });
  assert.equal(consoleError.mock.calls[0]?.arguments[0].message, 'broken listener');
});

test('off() removes a listener', async (t) => {
  const { server, connection } = await connectedClient(t);
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const seen = [];
  const listener = (payload) => seen.push(payload);
  subscription.on('Tick', listener).off('Tick', listener);
  const delivered = waitForEvent(subscription, 'Tick');
  server.publish('widgets', '1', 'Tick', 1);
  await delivered;
  assert.deepEqual(seen, []);
});

test('the reply to an old unsubscribe() does not end a new subscription to the same key', async (t) => {
  const { connection } = await connectedClient(t);
  const old = connection.subscribe('widgets', '1');
  await waitForEvent(old, 'Subscribed');
  const oldUnsubscribed = old.unsubscribe();
  const renewed = connection.subscribe('widgets', '1');
  assert.notEqual(renewed, old);
  await waitForEvent(renewed, 'Subscribed');
  await oldUnsubscribed;
  assert.equal(renewed.subscribed, true);
  assert.deepEqual(connection.subscriptions(), [renewed]);
});

test('subscribe() needs an exchange and a routing key', async (t) => {
  const { connection } = await connectedClient(t);
  assert.throws(() => connection.subscribe('widgets'), TypeError);
});

test('AuthenticationExpired reconnects, authenticates again and resubscribes, ignoring later revocations', async (t) => {
  const server = await startServerFor(t);
  const connection = connectClientFor(t, server.url, { reconnect: { baseMs: 10, capMs: 20 } });
  let authentications = 0;
  connection.authentication((c) => {
    authentications += 1;
    return c.sendAction('Authenticate', { token: 'let-me-in' });
  });
  const subscription = connection.subscribe('widgets', '1');
  await waitForEvent(subscription, 'Subscribed');
  const expired = waitForEvent(connection, 'AuthenticationExpired');
  const session = server.sessions[0];
  server.send(session, { event: 'AuthenticationExpired', payload: {} });
  server.send(session, { event: 'Unsubscribed', payload: { exchange: 'widgets', exchange_name: 'widgets', routing_key: '1', auto: true } });
  await expired;
  await waitForEvent(subscription, 'Subscribed');
  assert.equal(authentications, 2);
  assert.equal(subscription.subscribed, true);
});

test('on an exchange with history the position is sent back on resubscribe and Recovered fires after the replay', async (t) => {
  const { server, connection } = await connectedClient(t);
  server.histories.set('deploys', []);
  server.publish('deploys', 'd1', 'Line', { n: 0 });
  const subscription = connection.subscribe('deploys', 'd1');
  const subscribed = await waitForEvent(subscription, 'Subscribed');
  assert.deepEqual(subscribed.position, { o: 0, t: 't0' });
  assert.deepEqual(subscription.position, { o: 0, t: 't0' });
  const lines = [];
  subscription.on('Line', (payload) => lines.push(payload.n));
  server.publish('deploys', 'd1', 'Line', { n: 1 });
  await waitForEvent(subscription, 'Line');
  assert.deepEqual(subscription.position, { o: 1, t: 't1' });

  server.closeAll(4000);
  await waitForEvent(connection, 'SocketDisconnected');
  server.publish('deploys', 'd1', 'Line', { n: 2 });
  server.publish('deploys', 'other', 'Line', { n: -1 });
  server.publish('deploys', 'd1', 'Line', { n: 3 });
  const recovered = waitForEvent(subscription, 'Recovered');
  const resubscribe = await server.nextAction('Subscribe');
  assert.deepEqual(resubscribe.payload.since, { o: 1, t: 't1' });
  assert.equal((await recovered).recovered, true);
  assert.deepEqual(lines, [1, 2, 3]);
  assert.deepEqual(subscription.position, { o: 4, t: 't4' });
});

test('a position the server cannot resume fires NotRecovered with the reason and starts from the new position', async (t) => {
  const { server, connection } = await connectedClient(t);
  server.histories.set('deploys', []);
  const subscription = connection.subscribe('deploys', 'd1');
  await waitForEvent(subscription, 'Subscribed');
  server.publish('deploys', 'd1', 'Line', { n: 0 });
  await waitForEvent(subscription, 'Line');
  server.closeAll(4000);
  await waitForEvent(connection, 'SocketDisconnected');
  server.histories.set('deploys', [{ o: 0, t: 'other', rk: 'd1', event: 'Line', payload: { n: 9 } }]);
  const notRecovered = await waitForEvent(subscription, 'NotRecovered');
  assert.deepEqual(notRecovered, { exchange: 'deploys', routing_key: 'd1', reason: 'epoch' });
  assert.deepEqual(subscription.position, { o: 0, t: 'other' });
});

test('exchanges without history send no since and fire neither Recovered nor NotRecovered', async (t) => {
  const { server, connection } = await connectedClient(t);
  const subscription = connection.subscribe('widgets', '1');
  let fired = 0;
  subscription.on('Recovered', () => fired++);
  subscription.on('NotRecovered', () => fired++);
  await waitForEvent(subscription, 'Subscribed');
  server.closeAll(4000);
  const resubscribe = await server.nextAction('Subscribe');
  assert.equal('since' in resubscribe.payload, false);
  await waitForEvent(subscription, 'Subscribed');
  assert.equal(fired, 0);
  assert.equal(subscription.position, null);
});
