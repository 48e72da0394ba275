// Loads the client into Debian's Chromium (driven by playwright-core) against the fake server, and
// checks that an event published to a subscription shows up on the page. Screenshots go to
// test-artifacts/. Needs `apt-get install chromium`; CHROMIUM_PATH overrides /usr/bin/chromium.
//
//   npm run test:browser
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { launchChromium } from '../test-support/chromium.mjs';
import { startFakeServer } from '../test-support/fake-server.mjs';

const packageDir = new URL('..', import.meta.url);
const artifactsDir = new URL('test-artifacts/', packageDir);
const STEP_TIMEOUT_MS = 10000;

// The page under test: connects to the WebSocket URL in its query string, subscribes to
// widgets/1 and lists every WidgetUpdated event it receives.
function smokePage(loadClient) {
  return `<!doctype html>
<html>
<head><meta charset="utf-8"><title>myxi.js smoke test</title><link rel="icon" href="data:,">
<style>body { font: 16px sans-serif; margin: 2em; } #status { font-weight: bold; }</style>
</head>
<body>
<h1>myxi.js smoke test</h1>
<p>Status: <span id="status">loading</span></p>
<ul id="events"></ul>
${loadClient}
<script>
  function start(Myxi) {
    const status = document.getElementById('status');
    const connection = new Myxi.Connection(new URLSearchParams(location.search).get('ws'));
    connection.on('SocketConnected', () => { status.textContent = 'connected'; });
    const subscription = connection.subscribe('widgets', '1');
    subscription.on('Subscribed', () => { status.textContent = 'subscribed to widgets/1'; });
    subscription.on('WidgetUpdated', (payload) => {
      const item = document.createElement('li');
      item.textContent = 'WidgetUpdated: ' + payload.name;
      document.getElementById('events').append(item);
    });
  }
</script>
</body>
</html>`;
}

const pages = {
  '/global.html': smokePage('<script src="/myxi.global.js"></script><script>addEventListener("load", () => start(window.Myxi));</script>'),
  '/module.html': smokePage('<script type="module">import * as Myxi from "/myxi.js"; start(Myxi);</script>'),
};
const scripts = {
  '/myxi.global.js': new URL('dist/myxi.global.js', packageDir),
  '/myxi.js': new URL('src/myxi.js', packageDir),
};

let browser;
let httpServer;
let httpOrigin;
let myxiServer;

before(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  myxiServer = await startFakeServer();
  // Publish as soon as the page's subscription is confirmed, so the event must reach the page.
  myxiServer.on('action', ({ action, payload }) => {
    if (action !== 'Subscribe') return;
    setTimeout(() => myxiServer.publish(payload.exchange, payload.routing_key, 'WidgetUpdated', { name: 'sprocket' }), 20);
  });
  httpServer = createServer((request, response) => {
    const path = new URL(request.url, 'http://localhost').pathname;
    if (pages[path]) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[path]);
    } else if (scripts[path]) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(scripts[path]));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  httpOrigin = `http://127.0.0.1:${httpServer.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await myxiServer?.stop();
  httpServer?.closeAllConnections();
  await new Promise((resolve) => (httpServer ? httpServer.close(resolve) : resolve()));
});

for (const [path, build] of [
  ['/global.html', 'the <script> build'],
  ['/module.html', 'the ES module'],
]) {
  test(`${build} connects, subscribes and shows a received event`, { timeout: 30000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 800, height: 400 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
    try {
      await page.goto(`${httpOrigin}${path}?ws=${encodeURIComponent(myxiServer.url)}`);
      await page.locator('#events li').first().waitFor();
      assert.equal(await page.textContent('#events li'), 'WidgetUpdated: sprocket');
      assert.equal(await page.textContent('#status'), 'subscribed to widgets/1');
      const name = path.slice(1).replace('.html', '');
      await page.screenshot({ path: new URL(`smoke-${name}.png`, artifactsDir).pathname });
      assert.deepEqual(pageErrors, []);
    } finally {
      await page.close();
    }
  });
}
