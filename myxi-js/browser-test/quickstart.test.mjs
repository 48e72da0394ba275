// The README's quick start, as a newcomer follows it: the first command starts the demo (in-process
// broker), its output points to a page; in Chromium the page signs in as alice, subscribes and shows
// events arriving (the demo's ticker and the page's push button). Needs `mvn package` first.
// Screenshot: test-artifacts/quickstart.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { launchChromium } from '../test-support/chromium.mjs';
import { freePort, startJava } from '../test-support/java-process.mjs';

const repositoryDir = new URL('../../', import.meta.url).pathname;
const artifactsDir = new URL('../test-artifacts/', import.meta.url);
const STEP_TIMEOUT_MS = 20000;

// The README's first command: build, then `java ...`. The test runs the java part as written.
function readmeFirstCommand() {
  const readme = readFileSync(new URL('README.md', `file://${repositoryDir}`), 'utf8');
  const block = readme.match(/```sh\n([\s\S]*?)```/);
  assert.ok(block, 'README has a sh block');
  const command = block[1].split('\n').find((line) => line.trim() && !line.startsWith('#'));
  assert.equal(command, 'mvn -q -DskipTests package && java -jar myxi-examples/target/myxi-examples.jar',
    'the README\'s first command (update this test with it)');
  return command.split(' && ')[1].split(' ');
}

let browser;
let demo;

before(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('quick start: the first command leads to a page where alice sees events arrive', { timeout: 120000 }, async () => {
  const [program, ...args] = readmeFirstCommand();
  assert.equal(program, 'java');
  assert.ok(existsSync(`${repositoryDir}myxi-examples/target/myxi-examples.jar`), 'run mvn package first');
  // Ports of our own instead of 5005/8080 (others may use them); no RABBITMQ_URL: the README's demo
  // runs on the in-process broker.
  demo = await startJava({
    args,
    cwd: repositoryDir,
    env: { RABBITMQ_URL: '', MYXI_PORT: String(await freePort()), EXAMPLE_HTTP_PORT: String(await freePort()) },
    readyPattern: /Tokens: .*Ctrl-C/,
  });
  const output = demo.output();
  assert.match(output, /broker: in-process/);
  assert.match(output, /alice-token/);
  const pageUrl = output.match(/Open (http:\/\/localhost:\d+\/)/)[1];

  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(pageUrl);
    await page.selectOption('#user', 'alice');
    await page.click('#sign-in');
    await page.locator('#status', { hasText: 'signed in as alice' }).waitFor();
    await page.click('#subscribe');
    await page.locator('#status', { hasText: 'subscribed to widgets/1234' }).waitFor();
    await page.locator('#events li', { hasText: 'Tick' }).first().waitFor();
    await page.click('#push');
    await page.locator('#events li', { hasText: /WidgetUpdated .*"name":"Bolt"/ }).first().waitFor();
    const frames = await page.textContent('#frames');
    assert.match(frames, /← \{"event":"Welcome"/);
    assert.match(frames, /→ \{"action":"Authenticate"/);
    assert.match(frames, /"mq":\{"e":"widgets","rk":"1234"\}/);
    await page.screenshot({ path: new URL('quickstart.png', artifactsDir).pathname });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
