// A page keeping a complete deployment log across a node restart: the runnable server
// (myxi-service/target/myxi-server.jar) on RabbitMQ with `deploys` keeping history. Lines are
// published while the node is down (the CLI publishes into the exchange's stream); when the node
// is back, myxi.js resubscribes with its last position, the node replays the gap, and the page
// shows every line exactly once, in order, with Recovered, and never MissedEvents. Needs
// `mvn package` first and RabbitMQ.
//
//   npm run test:browser
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium } from '../test-support/chromium.mjs';
import { freePort, startJava } from '../test-support/java-process.mjs';

const packageDir = new URL('..', import.meta.url);
const serverJar = new URL('../myxi-service/target/myxi-server.jar', packageDir).pathname;
const rabbitmqUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `browser-history-${process.pid}-${Date.now()}.`;
const STEP_TIMEOUT_MS = 30000;

let browser;
let node;
let appServer;
let appOrigin;
let configFile;
let wsPort;
let adminPort;

const PAGE = (wsUrl, clientOrigin) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Deployment log</title><link rel="icon" href="data:,"></head>
<body><h1>Deployment 42</h1>
<p>state: <span id="state">connecting</span> · <span id="recovery">-</span></p>
<ol id="log"></ol>
<script src="${clientOrigin}/myxi.js"></script>
<script>
  window.records = [];
  const connection = new Myxi.Connection(${JSON.stringify(wsUrl)}, { reconnect: { baseMs: 200, capMs: 1000 } });
  connection.on('state', (state) => { document.getElementById('state').textContent = state; });
  connection.on('MissedEvents', () => records.push('MissedEvents'));
  const deploy = connection.subscribe('deploys', '42');
  deploy.on('Subscribed', () => records.push('Subscribed'));
  deploy.on('Recovered', () => { records.push('Recovered'); document.getElementById('recovery').textContent = 'recovered'; });
  deploy.on('NotRecovered', (details) => { records.push('NotRecovered:' + details.reason); document.getElementById('recovery').textContent = 'reload needed'; });
  deploy.on('Line', (payload) => {
    const li = document.createElement('li');
    li.textContent = payload.text;
    document.getElementById('log').append(li);
  });
</script></body></html>`;

async function startNode() {
  node = await startJava({
    args: ['-jar', serverJar, 'start', '--config', configFile],
    env: { RABBITMQ_URL: rabbitmqUrl },
    readyPattern: /listening on/,
  });
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('node not ready:\n' + node.output());
}

async function publishThroughAdminApi(n) {
  const response = await fetch(`http://127.0.0.1:${adminPort}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ exchange: 'deploys', routing_key: '42', event: 'Line', payload: { text: `step ${n}` } }),
  });
  assert.equal(response.status, 202, await response.text());
}

function publishThroughCli(n) {
  execFileSync('java', ['-jar', serverJar, 'publish', '--config', configFile, 'deploys', '42', 'Line', JSON.stringify({ text: `step ${n}` })],
    { env: { ...process.env, RABBITMQ_URL: rabbitmqUrl }, timeout: 60000, stdio: 'pipe' });
}

before(async () => {
  assert.ok(existsSync(serverJar), `no ${serverJar}: run mvn package first`);
  wsPort = await freePort();
  adminPort = await freePort();
  appServer = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(PAGE(`ws://127.0.0.1:${wsPort}/`, `http://127.0.0.1:${adminPort}`));
  });
  await new Promise((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${appServer.address().port}`;
  configFile = join(mkdtempSync(join(tmpdir(), 'myxi-history-')), 'myxi.yml');
  writeFileSync(configFile, [
    `port: ${wsPort}`,
    'bind_address: 127.0.0.1',
    `exchange_prefix: "${prefix}"`,
    'shutdown_window: 0s',
    'exchanges:',
    '  deploys: {access: public, history: {max_age: 1h}}',
    'admin:',
    `  port: ${adminPort}`,
    '',
  ].join('\n'));
  await startNode();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await node?.stop();
  try {
    // Best effort: the stream outlives the node (that is the point); remove this run's.
    execFileSync('rabbitmqctl', ['-q', 'delete_queue', `myxi.history.${prefix}deploys`], { timeout: 60000, stdio: 'pipe' });
  } catch {
    // No rabbitmqctl here (a remote broker): the stream expires with its retention.
  }
  await new Promise((resolve) => (appServer ? appServer.close(resolve) : resolve()));
});

test('a deployment log stays complete across a node restart: the gap is replayed, once, in order', { timeout: 240000 }, async () => {
  const tab = await browser.newPage();
  tab.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  await tab.goto(appOrigin + '/');
  await tab.waitForFunction(() => window.records.includes('Subscribed'));
  for (let n = 1; n <= 5; n++) await publishThroughAdminApi(n);
  await tab.locator('#log li', { hasText: 'step 5' }).waitFor();

  await node.stop();
  await tab.locator('#state', { hasText: 'connecting' }).waitFor();
  for (let n = 6; n <= 10; n++) publishThroughCli(n);
  await startNode();

  await tab.locator('#recovery', { hasText: 'recovered' }).waitFor();
  await publishThroughAdminApi(11);
  await tab.locator('#log li', { hasText: 'step 11' }).waitFor();
  const lines = await tab.locator('#log li').allTextContents();
  assert.deepEqual(lines, Array.from({ length: 11 }, (_, i) => `step ${i + 1}`));
  const records = await tab.evaluate(() => window.records);
  assert.deepEqual(records, ['Subscribed', 'Subscribed', 'Recovered']);
  assert.deepEqual(errors, []);
});
