// The example pages of myxi-examples in Debian's Chromium, against real Java nodes on RabbitMQ:
// the live deployment log (allowed and denied readers), per-user notifications, two nodes, and a
// node restart that the page survives. Needs `mvn package` first (myxi-examples.jar) and RabbitMQ
// (RABBITMQ_URL, default amqp://guest:guest@127.0.0.1:5672). Screenshots go to test-artifacts/.
//
//   npm run test:browser
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { launchChromium } from '../test-support/chromium.mjs';
import { freePort, startJava } from '../test-support/java-process.mjs';

const packageDir = new URL('..', import.meta.url);
const artifactsDir = new URL('test-artifacts/', packageDir);
const examplesJar = new URL('../myxi-examples/target/myxi-examples.jar', packageDir).pathname;
const rabbitmqUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const STEP_TIMEOUT_MS = 20000;

let browser;
const processes = [];

async function startExample(mainClass, env, readyPattern) {
  const example = await startJava({
    args: ['-cp', examplesJar, `io.myxi.examples.${mainClass}`],
    env: { RABBITMQ_URL: rabbitmqUrl, MYXI_BIND_ADDRESS: '127.0.0.1', ...env },
    readyPattern,
  });
  processes.push(example);
  return example;
}

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1000, height: 650 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  return page;
}

function screenshot(page, name) {
  return page.screenshot({ path: new URL(`${name}.png`, artifactsDir).pathname });
}

before(async () => {
  assert.ok(existsSync(examplesJar), `no ${examplesJar}: run mvn package first`);
  mkdirSync(artifactsDir, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all(processes.map((process) => process.stop()));
});

test('deployment log: an allowed reader sees the deployment live, another is denied', { timeout: 120000 }, async () => {
  const httpPort = await freePort();
  await startExample('DeploymentLogExample', { MYXI_PORT: String(await freePort()), EXAMPLE_HTTP_PORT: String(httpPort) }, /Deployment log example/);
  const alice = await newPage();
  const carol = await newPage();
  try {
    await alice.goto(`http://127.0.0.1:${httpPort}/?user=alice&deployment=1`);
    await alice.locator('#notice', { hasText: 'Following deployment 1 live' }).waitFor();
    await carol.goto(`http://127.0.0.1:${httpPort}/?user=carol&deployment=1`);
    await carol.locator('#notice', { hasText: 'You may not read deployment 1' }).waitFor();

    await alice.click('#start');
    await alice.locator('#status', { hasText: 'succeeded' }).waitFor();
    const log = await alice.textContent('#log');
    assert.match(log, /Health check passed/);
    assert.equal(log.trim().split('\n').length, 6);
    assert.equal((await carol.textContent('#log')).trim(), '', 'a denied reader never sees a line');
    await screenshot(alice, 'example-deployment-log');
    await screenshot(carol, 'example-deployment-denied');
    assert.deepEqual([...alice.errors, ...carol.errors], []);
  } finally {
    await alice.close();
    await carol.close();
  }
});

test('notifications: every tab of the recipient lights up, the sender does not', { timeout: 120000 }, async () => {
  const httpPort = await freePort();
  await startExample('NotificationsExample', { MYXI_PORT: String(await freePort()), EXAMPLE_HTTP_PORT: String(httpPort) }, /Notifications example/);
  const alice = await newPage();
  const bobTabs = [await newPage(), await newPage()];
  try {
    for (const tab of bobTabs) {
      await tab.goto(`http://127.0.0.1:${httpPort}/?user=bob`);
      await tab.locator('#connection', { hasText: 'live' }).waitFor();
    }
    await alice.goto(`http://127.0.0.1:${httpPort}/?user=alice`);
    await alice.locator('#connection', { hasText: 'live' }).waitFor();
    // 'live' means the subscription is confirmed: from then on every share reaches the tab.
    await alice.selectOption('#to', 'bob');
    await alice.fill('#item', 'Roadmap.key');
    await alice.click('#share button');
    for (const tab of bobTabs) {
      await tab.locator('#notifications li', { hasText: 'alice shared “Roadmap.key” with you' }).first().waitFor();
      assert.equal(await tab.getAttribute('#bell', 'class'), 'lit');
    }
    assert.equal(await alice.locator('#notifications li').count(), 0);
    await screenshot(bobTabs[0], 'example-notifications');
  } finally {
    await alice.close();
    await Promise.all(bobTabs.map((tab) => tab.close()));
  }
});

test('two nodes: one push reaches the page through both nodes', { timeout: 120000 }, async () => {
  const httpPort = await freePort();
  await startExample('TwoNodesExample', {
    MYXI_PORT: String(await freePort()), MYXI_SECOND_PORT: String(await freePort()), EXAMPLE_HTTP_PORT: String(httpPort),
  }, /Two nodes example/);
  const page = await newPage();
  try {
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.locator('#node-a .state', { hasText: 'subscribed' }).waitFor();
    await page.locator('#node-b .state', { hasText: 'subscribed' }).waitFor();
    await page.fill('#text', 'Release 2.4 is live');
    await page.click('#push');
    await page.locator('#node-a .events li', { hasText: 'Release 2.4 is live' }).waitFor();
    await page.locator('#node-b .events li', { hasText: 'Release 2.4 is live' }).waitFor();
    assert.equal(await page.locator('#node-a .events li').count(), 1);
    assert.equal(await page.locator('#node-b .events li').count(), 1);
    await screenshot(page, 'example-two-nodes');
  } finally {
    await page.close();
  }
});

test('node restart: the page reconnects, authenticates, resubscribes and gets the next event', { timeout: 180000 }, async () => {
  const env = { MYXI_PORT: String(await freePort()), EXAMPLE_HTTP_PORT: String(await freePort()) };
  let example = await startExample('DeploymentLogExample', env, /Deployment log example/);
  const page = await newPage();
  try {
    await page.goto(`http://127.0.0.1:${env.EXAMPLE_HTTP_PORT}/?user=alice&deployment=2`);
    await page.locator('#notice', { hasText: 'Following deployment 2 live' }).waitFor();
    await page.evaluate(() => { document.getElementById('notice').textContent = 'before restart'; });

    await example.stop();
    await page.locator('#connection', { hasText: 'reconnecting' }).waitFor();
    example = await startExample('DeploymentLogExample', env, /Deployment log example/);

    await page.locator('#connection', { hasText: 'connected' }).waitFor({ timeout: 60000 });
    await page.locator('#notice', { hasText: 'Following deployment 2 live' }).waitFor({ timeout: 60000 });
    await page.click('#start');
    await page.locator('#status', { hasText: 'succeeded' }).waitFor();
    await screenshot(page, 'example-after-restart');
  } finally {
    await page.close();
  }
});
