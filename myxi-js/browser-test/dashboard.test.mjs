// The live dashboard (GET /dashboard on the admin listener) in Debian's Chromium, against the
// runnable server (myxi-service/target/myxi-server.jar) on RabbitMQ: while a client receives
// events published through the admin API, the page's deliveries and frames per second move above 0,
// the session and subscription counts show the client, and a client's error is listed among the
// recent problems. The screenshot is kept as
// test-artifacts/dashboard.png. Needs `mvn package` first and RabbitMQ.
//
//   npm run test:browser
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { launchChromium } from '../test-support/chromium.mjs';
import { freePort, startJava } from '../test-support/java-process.mjs';

const packageDir = new URL('..', import.meta.url);
const artifactsDir = new URL('test-artifacts/', packageDir);
const serverJar = new URL('../myxi-service/target/myxi-server.jar', packageDir).pathname;
const rabbitmqUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `dashboard-${process.pid}-${Date.now()}.`;
const STEP_TIMEOUT_MS = 20000;

let browser;
let node;
let wsPort;
let adminPort;

before(async () => {
  assert.ok(existsSync(serverJar), `no ${serverJar}: run mvn package first`);
  mkdirSync(artifactsDir, { recursive: true });
  wsPort = await freePort();
  adminPort = await freePort();
  const configFile = join(mkdtempSync(join(tmpdir(), 'myxi-dashboard-')), 'myxi.yml');
  writeFileSync(configFile, [
    `port: ${wsPort}`,
    'bind_address: 127.0.0.1',
    `exchange_prefix: "${prefix}"`,
    'shutdown_window: 0s',
    'exchanges:',
    '  ticker: public',
    'admin:',
    `  port: ${adminPort}`,
    '',
  ].join('\n'));
  node = await startJava({
    args: ['-jar', serverJar, 'start', '--config', configFile],
    env: { RABBITMQ_URL: rabbitmqUrl },
    readyPattern: /listening on/,
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await node?.stop();
});

// A WebSocket client subscribed to ticker/all that counts the events it receives.
async function subscribedClient() {
  const socket = new WebSocket(`ws://127.0.0.1:${wsPort}/`);
  const client = { socket, received: 0 };
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === 'Welcome') socket.send(JSON.stringify({ action: 'Subscribe', tag: 1, payload: { exchange: 'ticker', routing_key: 'all' } }));
      else if (frame.event === 'Subscribed') resolve();
      else if (frame.event === 'Tick') client.received++;
      else if (frame.event === 'Error') reject(new Error(JSON.stringify(frame)));
    });
  });
  return client;
}

async function publishTick(n) {
  const response = await fetch(`http://127.0.0.1:${adminPort}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(Array.from({ length: 5 }, (_, i) => ({ exchange: 'ticker', routing_key: 'all', event: 'Tick', payload: { n, i } }))),
  });
  assert.equal(response.status, 202, await response.text());
}

const number = (text) => Number(text.replace(/,/g, ''));

test('the dashboard shows numbers that move while a client receives events', { timeout: 120000 }, async () => {
  const client = await subscribedClient();
  const tab = await browser.newPage({ viewport: { width: 1200, height: 820 } });
  tab.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  let publishing = true;
  let ticks = 0;
  const publisher = (async () => {
    while (publishing) {
      await publishTick(++ticks);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    await tab.goto(`http://127.0.0.1:${adminPort}/dashboard`);
    await tab.locator('#node-state', { hasText: 'ready' }).waitFor();
    await tab.locator('#broker-state', { hasText: 'broker connected' }).waitFor();
    await tab.locator('[data-field="sessions"]', { hasText: '1' }).waitFor();
    await tab.locator('[data-field="subscriptions"]', { hasText: '1' }).waitFor();

    // Two readings a poll apart: the per-second figures are above 0 and the totals grow.
    await tab.waitForFunction(() => Number(document.querySelector('[data-field="deliveries_per_second"]').textContent.replace(/,/g, '')) > 0);
    const firstTotal = number(await tab.textContent('[data-field="deliveries_received"]'));
    await tab.waitForFunction((before) => Number(document.querySelector('[data-field="deliveries_received"]').textContent.replace(/,/g, '')) > before, firstTotal);
    assert.ok(number(await tab.textContent('[data-field="frames_per_second"]')) > 0);
    assert.ok(client.received > 0, 'the client receives the events');
    assert.equal(await tab.textContent('#nodes tr td:nth-child(2)'), 'ready');
    // A client mistake shows up among the recent problems, with its error code.
    client.socket.send(JSON.stringify({ action: 'Subscribe', tag: 2, payload: { exchange: 'no-such-exchange', routing_key: 'x' } }));
    await tab.locator('#problems li', { hasText: 'Error frames sent: InvalidExchange' }).waitFor();
    // Let the sparklines draw some history before the screenshot.
    await tab.waitForFunction(() => document.querySelector('[data-spark="deliveries_per_second"] polyline').getAttribute('points').split(' ').length >= 8);
    await tab.screenshot({ path: new URL('dashboard.png', artifactsDir).pathname, fullPage: true });
    assert.deepEqual(errors, []);
  } catch (error) {
    console.log('page:', await tab.textContent('body'));
    console.log('node output:\n' + node.output());
    throw error;
  } finally {
    publishing = false;
    await publisher;
    client.socket.close();
    await tab.close();
  }
});
