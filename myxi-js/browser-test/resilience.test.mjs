// How fast myxi.js comes back, in Debian's Chromium against the demo node (NotificationsExample,
// in-process broker) through a TCP proxy the test controls: network outages with the browser's
// offline/online events, node restarts, a silent outage only the heartbeat can notice, a token
// endpoint that fails once, application events named like control frames, and two components
// sharing one subscription. Prints the measured reconnect times. Needs `mvn package` first
// (myxi-examples.jar).
//
//   npm run test:browser
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { launchChromium } from '../test-support/chromium.mjs';
import { startFakeServer } from '../test-support/fake-server.mjs';
import { freePort, startJava } from '../test-support/java-process.mjs';
import { TcpProxy } from '../test-support/tcp-proxy.mjs';

const packageDir = new URL('..', import.meta.url);
const examplesJar = new URL('../myxi-examples/target/myxi-examples.jar', packageDir).pathname;
const clientScript = new URL('dist/myxi.global.js', packageDir);
const STEP_TIMEOUT_MS = 20000;
const HEARTBEAT = { intervalMs: 2000, timeoutMs: 1000 };

let browser;
let node;
let nodeEnv;
let webServer;
let webOrigin;
const tokenRequests = new Map(); // page id -> requests seen
const cleanups = [];

// The page under test: bob's tab, fetching its token from /token (which fails the first `fail`
// requests with 503), subscribing to users/bob once per component, recording what happens.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>myxi.js resilience</title><link rel="icon" href="data:,"></head>
<body><p id="state">loading</p>
<script src="/myxi.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const options = JSON.parse(params.get('options') || '{}');
  window.records = [];
  const record = (name, detail) => records.push({ name, at: Date.now(), detail });
  const connection = new Myxi.Connection(params.get('ws'), { ...options, autoConnect: false });
  if (params.get('auth') !== 'none') {
    connection.authentication(async (c) => {
      const response = await fetch('/token?page=' + params.get('page') + '&fail=' + (params.get('fail') || 0));
      if (!response.ok) throw new Error('the token endpoint answered ' + response.status);
      const { token } = await response.json();
      return c.sendAction('Authenticate', { token });
    });
  }
  connection.on('state', (state) => { record('state', state); document.getElementById('state').textContent = state; });
  connection.on('AuthenticationFailed', (error, details) => record('AuthenticationFailed', { message: error.message, ...details }));
  connection.on('SocketDisconnected', (event) => record('SocketDisconnected', event));
  connection.on('error', (error) => record('error', error.code));
  addEventListener('online', () => record('online'));
  addEventListener('offline', () => record('offline'));
  window.components = {};
  window.addComponent = (name, exchange, key) => {
    const handle = connection.subscribe(exchange, key);
    handle.on('Subscribed', (payload, frame) => record('Subscribed', { component: name, mq: !!frame.mq }));
    handle.on('*', (payload, frame) => record('event', { component: name, event: frame.event, payload }));
    components[name] = handle;
  };
  addComponent('main', params.get('exchange') || 'users', params.get('key') || 'bob');
  connection.connect();
  window.connection = connection;
</script></body></html>`;

function startNode() {
  return startJava({
    args: ['-cp', examplesJar, 'io.myxi.examples.NotificationsExample'],
    env: { ...nodeEnv, RABBITMQ_URL: '' },
    readyPattern: /Notifications example/,
  });
}

async function share(item) {
  const response = await fetch(`http://127.0.0.1:${nodeEnv.EXAMPLE_HTTP_PORT}/share`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ from: 'alice', to: 'bob', item }),
  });
  assert.equal(response.status, 200);
}

let pageCount = 0;
async function openPage(wsUrl, { options = {}, fail = 0, context, ...query } = {}) {
  const browserContext = context ?? (await browser.newContext());
  if (!context) cleanups.push(() => browserContext.close());
  const page = await browserContext.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  const id = String(++pageCount);
  const search = new URLSearchParams({ ws: wsUrl, page: id, fail: String(fail), options: JSON.stringify(options), ...query });
  await page.goto(`${webOrigin}/?${search}`);
  return page;
}

const recordCount = (page) => page.evaluate(() => records.length);

// The first record named `name` (and matching `detail`) from index `from` on.
async function nextRecord(page, from, name, detail = {}, timeout = STEP_TIMEOUT_MS) {
  const handle = await page.waitForFunction(
    ([from, name, detail]) => records.slice(from).find((r) => r.name === name
      && Object.entries(detail).every(([k, v]) => (typeof r.detail === 'object' ? r.detail?.[k] : r.detail) === v)),
    [from, name, detail],
    { timeout, polling: 20 },
  );
  return handle.jsonValue();
}

async function proxyFor(port) {
  const proxy = await new TcpProxy(port).start();
  cleanups.push(() => proxy.stop());
  return proxy;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function report(label, values) {
  console.log(`# ${label}: ${values.map((ms) => `${ms} ms`).join(', ')} (median ${median(values)} ms, max ${Math.max(...values)} ms)`);
}

before(async () => {
  assert.ok(existsSync(examplesJar), `no ${examplesJar}: run mvn package first`);
  nodeEnv = { MYXI_BIND_ADDRESS: '127.0.0.1', MYXI_PORT: String(await freePort()), EXAMPLE_HTTP_PORT: String(await freePort()) };
  node = await startNode();
  webServer = createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url.pathname === '/myxi.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(clientScript));
    } else if (url.pathname === '/token') {
      const page = url.searchParams.get('page');
      const seen = (tokenRequests.get(page) ?? 0) + 1;
      tokenRequests.set(page, seen);
      if (seen <= Number(url.searchParams.get('fail'))) response.writeHead(503).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'bob-token' }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => webServer.listen(0, '127.0.0.1', resolve));
  webOrigin = `http://127.0.0.1:${webServer.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await browser?.close();
  await node?.stop();
  webServer?.closeAllConnections();
  await new Promise((resolve) => (webServer ? webServer.close(resolve) : resolve()));
});

test('outages of 5 s (5 times) and 60 s: subscriptions are back within 1 s of the link and the online event', { timeout: 150000 }, async () => {
  const proxy = await proxyFor(Number(nodeEnv.MYXI_PORT));
  const context = await browser.newContext();
  cleanups.push(() => context.close());
  const page = await openPage(`ws://127.0.0.1:${proxy.port}/`, { context });
  await nextRecord(page, 0, 'Subscribed');
  const measured = { 5000: [], 60000: [] };
  for (const outageMs of [5000, 5000, 5000, 5000, 5000, 60000]) {
    const from = await recordCount(page);
    proxy.drop();
    await context.setOffline(true);
    await nextRecord(page, from, 'state', { detail: 'connecting' });
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    const backFrom = await recordCount(page);
    proxy.resume();
    await context.setOffline(false);
    const online = await nextRecord(page, backFrom, 'online');
    const subscribed = await nextRecord(page, backFrom, 'Subscribed');
    measured[outageMs].push(subscribed.at - online.at);
  }
  report('5 s outage, online -> subscribed', measured[5000]);
  report('60 s outage, online -> subscribed', measured[60000]);
  const from = await recordCount(page);
  await share('after the outages');
  await nextRecord(page, from, 'event', { event: 'Shared' });
  assert.ok(median(measured[5000]) <= 1000, `median ${median(measured[5000])} ms`);
  assert.ok(measured[60000][0] <= 1000, `${measured[60000][0]} ms`);
  assert.ok(Math.max(...measured[5000]) <= 3000);
  assert.deepEqual(page.errors, []);
});

test('node restarts (5 times): subscriptions are back within 1 s of the node listening again', { timeout: 150000 }, async () => {
  const proxy = await proxyFor(Number(nodeEnv.MYXI_PORT));
  const page = await openPage(`ws://127.0.0.1:${proxy.port}/`);
  await nextRecord(page, 0, 'Subscribed');
  const measured = [];
  for (let restart = 0; restart < 5; restart++) {
    const from = await recordCount(page);
    await node.stop();
    await nextRecord(page, from, 'SocketDisconnected');
    // Down for a while, so the client is well into its backoff.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const backFrom = await recordCount(page);
    node = await startNode();
    const listeningAt = Date.now();
    const subscribed = await nextRecord(page, backFrom, 'Subscribed');
    measured.push(subscribed.at - listeningAt);
  }
  report('node restart, listening -> subscribed', measured);
  const from = await recordCount(page);
  await share('after the restarts');
  await nextRecord(page, from, 'event', { event: 'Shared' });
  assert.ok(median(measured) <= 1000, `median ${median(measured)} ms`);
  assert.ok(Math.max(...measured) <= 3000, `max ${Math.max(...measured)} ms`);
});

test('a silent outage is noticed by the heartbeat, and subscriptions are back within 2 intervals of the link', { timeout: 60000 }, async () => {
  const proxy = await proxyFor(Number(nodeEnv.MYXI_PORT));
  const page = await openPage(`ws://127.0.0.1:${proxy.port}/`, { options: { heartbeat: HEARTBEAT, connectTimeoutMs: 1000 } });
  await nextRecord(page, 0, 'Subscribed');
  const from = await recordCount(page);
  const droppedAt = Date.now();
  proxy.drop();
  const noticed = await nextRecord(page, from, 'SocketDisconnected');
  assert.equal(noticed.detail.reason, 'heartbeat timed out');
  const noticedAfterMs = noticed.at - droppedAt;
  assert.ok(noticedAfterMs <= HEARTBEAT.intervalMs * 2 + HEARTBEAT.timeoutMs, `noticed after ${noticedAfterMs} ms`);
  await new Promise((resolve) => setTimeout(resolve, 5000)); // attempts meanwhile vanish in the black hole
  const backFrom = await recordCount(page);
  const backAt = Date.now();
  proxy.resume();
  const subscribed = await nextRecord(page, backFrom, 'Subscribed');
  const restoredAfterMs = subscribed.at - backAt;
  console.log(`# silent outage (heartbeat ${HEARTBEAT.intervalMs} ms): noticed after ${noticedAfterMs} ms, subscribed ${restoredAfterMs} ms after the link returned`);
  assert.ok(restoredAfterMs <= 2 * HEARTBEAT.intervalMs, `${restoredAfterMs} ms`);
  await share('after the silent outage');
  await nextRecord(page, backFrom, 'event', { event: 'Shared' });
});

test('a token request answered 503 is retried with backoff; the tab ends up authenticated and subscribed', { timeout: 60000 }, async () => {
  const page = await openPage(`ws://127.0.0.1:${nodeEnv.MYXI_PORT}/`, { fail: 1 });
  const failed = await nextRecord(page, 0, 'AuthenticationFailed');
  assert.equal(failed.detail.retryable, true);
  assert.match(failed.detail.message, /503/);
  const subscribed = await nextRecord(page, 0, 'Subscribed');
  console.log(`# token 503: retried after ${failed.detail.delayMs} ms, subscribed ${subscribed.at - failed.at} ms after the failure`);
  assert.equal(tokenRequests.get(String(pageCount)), 2);
  assert.equal(await page.evaluate(() => connection.state), 'ready');
  assert.equal(await page.evaluate(() => connection.isAuthenticated()), true);
  const from = await recordCount(page);
  await share('after the token retry');
  await nextRecord(page, from, 'event', { event: 'Shared' });
});

test('application events named like control frames reach the application and change nothing in the client', { timeout: 60000 }, async () => {
  const fake = await startFakeServer();
  cleanups.push(() => fake.stop());
  const page = await openPage(fake.url, { auth: 'none', exchange: 'widgets', key: '1' });
  await nextRecord(page, 0, 'Subscribed');
  const from = await recordCount(page);
  const names = ['Unsubscribed', 'AuthenticationExpired', 'MissedEvents', 'Error', 'Subscribed', 'Welcome', 'Pong'];
  for (const name of names) fake.publish('widgets', '1', name, { auto: true, exchange: 'widgets', routing_key: '1', error: 'x' });
  fake.publish('widgets', '1', 'Last', {});
  await nextRecord(page, from, 'event', { event: 'Last' });
  const records = (await page.evaluate(() => records)).slice(from);
  assert.deepEqual(records.filter((r) => r.name === 'event').map((r) => r.detail.event), [...names, 'Last']);
  assert.deepEqual(records.filter((r) => r.name !== 'event' && r.name !== 'Subscribed'), [], 'no state change, error or disconnect');
  assert.ok(records.filter((r) => r.name === 'Subscribed').every((r) => r.detail.mq), 'only the app event named Subscribed');
  assert.equal(await page.evaluate(() => [connection.state, components.main.state].join()), 'ready,subscribed');
  assert.equal(fake.sessions.length, 1, 'no reconnect');
});

test('two components on one key each get events until each unsubscribes', { timeout: 60000 }, async () => {
  const page = await openPage(`ws://127.0.0.1:${nodeEnv.MYXI_PORT}/`);
  const witness = await openPage(`ws://127.0.0.1:${nodeEnv.MYXI_PORT}/`); // another tab of bob's
  await page.evaluate(() => addComponent('second', 'users', 'bob'));
  await nextRecord(page, 0, 'Subscribed', { component: 'main' });
  await nextRecord(page, 0, 'Subscribed', { component: 'second' });
  await nextRecord(witness, 0, 'Subscribed');

  const delivered = async (item) => {
    const [from, witnessFrom] = [await recordCount(page), await recordCount(witness)];
    await share(item);
    await nextRecord(witness, witnessFrom, 'event', { event: 'Shared' });
    // The witness got it, so the page has it by now if it is to have it at all.
    await nextRecord(page, from, 'event', { event: 'Shared' }, 2000).catch(() => {});
    return (await page.evaluate(() => records)).slice(from).filter((r) => r.name === 'event').map((r) => r.detail.component).sort();
  };
  assert.deepEqual(await delivered('one'), ['main', 'second']);
  await page.evaluate(() => components.main.unsubscribe());
  assert.deepEqual(await delivered('two'), ['second']);
  await page.evaluate(() => components.second.unsubscribe());
  assert.equal(await page.evaluate(() => components.second.state), 'closed');
  assert.deepEqual(await delivered('three'), []);
});
