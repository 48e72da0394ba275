// A page in Debian's Chromium against the runnable server (myxi-service/target/myxi-server.jar) on RabbitMQ, the way a
// non-Java application uses Myxi: the page loads /myxi.js from the node, authenticates with a
// token minted by the jar, receives an event published through RabbitMQ and one through the
// admin API, is told about a denied subscription and about a revocation by the application's
// http rule, and survives a node restart. Needs `mvn package` first and RabbitMQ.
//
//   npm run test:browser
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium } from '../test-support/chromium.mjs';
import { freePort, startJava } from '../test-support/java-process.mjs';

const packageDir = new URL('..', import.meta.url);
const artifactsDir = new URL('test-artifacts/', packageDir);
const serverJar = new URL('../myxi-service/target/myxi-server.jar', packageDir).pathname;
const rabbitmqUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const secret = 'browser-test-secret-0123456789abcdef0123456789';
const prefix = `browser-${process.pid}-${Date.now()}.`;
const STEP_TIMEOUT_MS = 20000;

let browser;
let node;
let appServer;
let appOrigin;
let configFile;
let wsPort;
let adminPort;
const tlsNode = {};
// The application's answer to the http rule, per document id.
const readableDocuments = new Set(['7']);

function page(wsUrl, token, clientOrigin) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Myxi runnable server</title><link rel="icon" href="data:,">
<style>body { font: 15px system-ui, sans-serif; margin: 2rem; } li { margin: .2rem 0; }</style></head>
<body>
<h1>Runnable server</h1>
<p>Connection: <span id="connection">connecting</span> · <span id="auth">not authenticated</span> · <span id="reconnects"></span></p>
<p>news/all: <span id="news-state">pending</span> · docs/7: <span id="doc-state">pending</span> · docs/8: <span id="denied-state">pending</span></p>
<ul id="events"></ul>
<script src="${clientOrigin}/myxi.js"></script>
<script>
  const show = (id, text) => { document.getElementById(id).textContent = text; };
  const log = (text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById('events').append(li); };
  const connection = new Myxi.Connection(${JSON.stringify(wsUrl)}, { reconnect: { baseMs: 200, capMs: 2000 } });
  connection.authentication((c) => c.sendAction('Authenticate', { token: ${JSON.stringify(token)} }));
  connection.on('SocketConnected', () => show('connection', 'connected'));
  connection.on('SocketDisconnected', () => { show('connection', 'disconnected'); show('news-state', 'waiting'); });
  connection.on('SocketAuthenticated', () => show('auth', 'authenticated'));
  const news = connection.subscribe('news', 'all');
  news.on('Subscribed', () => show('news-state', 'subscribed'));
  news.on('Announcement', (payload) => log('news: ' + payload.text));
  news.on('Error', (payload) => log('news error: ' + payload.error));
  connection.on('Reconnecting', ({ attempt, delayMs }) => show('reconnects', 'reconnect attempt ' + attempt + ' in ' + delayMs + ' ms'));
  connection.on('AuthenticationFailed', (error) => show('auth', 'authentication failed: ' + (error && error.code)));
  const doc = connection.subscribe('docs', '7');
  doc.on('Subscribed', () => show('doc-state', 'subscribed'));
  doc.on('Unsubscribed', (payload) => show('doc-state', payload.auto ? 'revoked' : 'unsubscribed'));
  doc.on('Edited', (payload) => log('doc 7: ' + payload.by));
  const denied = connection.subscribe('docs', '8');
  denied.on('SubscriptionDenied', () => show('denied-state', 'denied'));
  denied.on('Subscribed', () => show('denied-state', 'subscribed'));
</script>
</body></html>`;
}

// Starts the runnable jar and returns once it listens and its queue is connected (/ready).
async function startServerJar(config, admin, env = {}) {
  const started = await startJava({
    args: ['-jar', serverJar, 'start', '--config', config],
    env: { MYXI_AUTH_SECRET: secret, RABBITMQ_URL: rabbitmqUrl, ...env },
    readyPattern: /listening on/,
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const ready = await fetch(`http://127.0.0.1:${admin}/ready`).then((r) => r.ok, () => false);
    if (ready) return started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await started.stop();
  throw new Error('node not ready:\n' + started.output());
}

async function startNode() {
  node = await startServerJar(configFile, adminPort);
}

function publishThroughRabbitMq(exchange, key, event, payload) {
  execFileSync('java', ['-jar', serverJar, 'publish', '--config', configFile, exchange, key, event, JSON.stringify(payload)],
    { env: { ...process.env, RABBITMQ_URL: rabbitmqUrl }, timeout: 60000, stdio: 'pipe' });
}

async function publishThroughAdminApi(exchange, key, event, payload) {
  const response = await fetch(`http://127.0.0.1:${adminPort}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ exchange, routing_key: key, event, payload }),
  });
  assert.equal(response.status, 202, await response.text());
}

before(async () => {
  assert.ok(existsSync(serverJar), `no ${serverJar}: run mvn package first`);
  mkdirSync(artifactsDir, { recursive: true });
  appServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      if (request.url === '/authorize') {
        const { routing_key: key } = JSON.parse(body);
        response.writeHead(readableDocuments.has(key) ? 200 : 403).end();
      } else if (request.url === '/wss') {
        // Through TLS and under a path, as behind a proxy at wss://host/ws/.
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(page(`wss://127.0.0.1:${tlsNode.wsPort}/ws/`, appServer.token, `http://127.0.0.1:${tlsNode.adminPort}`));
      } else {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(page(`ws://127.0.0.1:${wsPort}/ws/`, appServer.token, `http://127.0.0.1:${adminPort}`));
      }
    });
  });
  await new Promise((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${appServer.address().port}`;
  wsPort = await freePort();
  adminPort = await freePort();
  configFile = join(mkdtempSync(join(tmpdir(), 'myxi-browser-')), 'myxi.yml');
  writeFileSync(configFile, [
    `port: ${wsPort}`,
    'bind_address: 127.0.0.1',
    `exchange_prefix: "${prefix}"`,
    'touch_interval: 1s',
    'shutdown_window: 0s',
    'exchanges:',
    '  news: authenticated',
    '  docs:',
    '    access: http',
    `    url: ${appOrigin}/authorize`,
    '    timeout: 10s',
    'admin:',
    `  port: ${adminPort}`,
    '',
  ].join('\n'));
  appServer.token = execFileSync('java', ['-jar', serverJar, 'token', '--user', 'alice', '--secret', secret, '--ttl', '1h'],
    { timeout: 60000 }).toString().trim();
  await startNode();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await node?.stop();
  await tlsNode.process?.stop();
  await new Promise((resolve) => (appServer ? appServer.close(resolve) : resolve()));
});

test('events through RabbitMQ and the admin API, a denial, a revocation and a node restart', { timeout: 240000 }, async () => {
  const tab = await browser.newPage({ viewport: { width: 900, height: 500 } });
  tab.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  try {
    await tab.goto(appOrigin + '/');
    await tab.locator('#auth', { hasText: 'authenticated' }).waitFor();
    await tab.locator('#news-state', { hasText: 'subscribed' }).waitFor();
    await tab.locator('#doc-state', { hasText: 'subscribed' }).waitFor();
    await tab.locator('#denied-state', { hasText: 'denied' }).waitFor();

    publishThroughRabbitMq('news', 'all', 'Announcement', { text: 'through RabbitMQ' });
    await tab.locator('#events li', { hasText: 'news: through RabbitMQ' }).waitFor();
    await publishThroughAdminApi('news', 'all', 'Announcement', { text: 'through the admin API' });
    await tab.locator('#events li', { hasText: 'news: through the admin API' }).waitFor();
    await publishThroughAdminApi('docs', '7', 'Edited', { by: 'bob' });
    await tab.locator('#events li', { hasText: 'doc 7: bob' }).waitFor();

    readableDocuments.delete('7');
    await tab.locator('#doc-state', { hasText: 'revoked' }).waitFor();
    await publishThroughAdminApi('docs', '7', 'Edited', { by: 'mallory' });

    await node.stop();
    await tab.locator('#connection', { hasText: 'disconnected' }).waitFor();
    await startNode();
    await tab.locator('#connection', { hasText: 'connected' }).waitFor({ timeout: 60000 });
    await tab.locator('#news-state', { hasText: 'subscribed' }).waitFor();
    await publishThroughAdminApi('news', 'all', 'Announcement', { text: 'after the restart' });
    await tab.locator('#events li', { hasText: 'news: after the restart' }).waitFor({ timeout: 60000 });

    const events = await tab.locator('#events li').allTextContents();
    assert.ok(!events.some((text) => text.includes('mallory')), 'no event after the revocation');
    await tab.screenshot({ path: new URL('standalone-page.png', artifactsDir).pathname });
    assert.deepEqual(errors, []);
  } catch (error) {
    console.log('page:', await tab.textContent('body'));
    console.log('node output:\n' + node.output());
    throw error;
  } finally {
    await tab.close();
  }
});

test('wss:// under a path: the page connects through TLS and receives an event', { timeout: 180000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'myxi-tls-'));
  const keystore = join(dir, 'node.p12');
  execFileSync('keytool', ['-genkeypair', '-alias', 'myxi', '-keyalg', 'EC', '-groupname', 'secp256r1', '-dname', 'CN=127.0.0.1',
    '-ext', 'san=ip:127.0.0.1', '-validity', '2', '-storetype', 'PKCS12', '-keystore', keystore, '-storepass', 'browser-test',
    '-keypass', 'browser-test'], { timeout: 60000, stdio: 'pipe' });
  tlsNode.wsPort = await freePort();
  tlsNode.adminPort = await freePort();
  const tlsConfig = join(dir, 'myxi.yml');
  writeFileSync(tlsConfig, [
    `port: ${tlsNode.wsPort}`,
    'bind_address: 127.0.0.1',
    `exchange_prefix: "${prefix}tls."`,
    'shutdown_window: 0s',
    'exchanges:',
    '  news: authenticated',
    'tls:',
    `  keystore_file: ${keystore}`,
    'admin:',
    `  port: ${tlsNode.adminPort}`,
    '',
  ].join('\n'));
  tlsNode.process = await startServerJar(tlsConfig, tlsNode.adminPort, { MYXI_TLS_KEYSTORE_PASSWORD: 'browser-test' });
  // The test's certificate is self-signed; a real deployment has a trusted one.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 400 } });
  const tab = await context.newPage();
  tab.setDefaultTimeout(STEP_TIMEOUT_MS);
  const consoleLines = [];
  tab.on('console', (message) => consoleLines.push(message.type() + ': ' + message.text()));
  tab.on('pageerror', (error) => consoleLines.push('pageerror: ' + error.message));
  try {
    await tab.goto(appOrigin + '/wss');
    await tab.locator('#news-state', { hasText: 'subscribed' }).waitFor({ timeout: 60000 });
    const response = await fetch(`http://127.0.0.1:${tlsNode.adminPort}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ exchange: 'news', routing_key: 'all', event: 'Announcement', payload: { text: 'over wss' } }),
    });
    assert.equal(response.status, 202, await response.text());
    await tab.locator('#events li', { hasText: 'news: over wss' }).waitFor();
    await tab.screenshot({ path: new URL('standalone-wss.png', artifactsDir).pathname });
  } catch (error) {
    console.log('page:', await tab.textContent('body'));
    console.log('console:\n' + consoleLines.join('\n'));
    console.log('node output:\n' + tlsNode.process.output());
    throw error;
  } finally {
    await context.close();
  }
});
