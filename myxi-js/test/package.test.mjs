// The npm package as published: its manifest, what `npm pack` puts in it, and its TypeScript
// declarations (checked by tsc over test/types, a typed user of the whole API).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as module from '../src/myxi.js';

const run = promisify(execFile);
const packageDir = new URL('..', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(new URL('package.json', `file://${packageDir}`), 'utf8'));

test('the manifest is publishable: not private, licensed, versioned with the Maven build', () => {
  assert.equal(manifest.private, undefined);
  assert.equal(manifest.license, 'Apache-2.0');
  const pom = readFileSync(new URL('../pom.xml', `file://${packageDir}`), 'utf8');
  const pomVersion = pom.match(/<artifactId>myxi-parent<\/artifactId>\s*<version>([^<]+)<\/version>/)[1];
  assert.equal(manifest.version, pomVersion, 'package.json version = the parent pom\'s');
  assert.equal(readFileSync(`${packageDir}LICENSE`, 'utf8'), readFileSync(`${packageDir}../LICENSE`, 'utf8'), 'LICENSE is the repository\'s');
});

test('every export condition and the types entry name a file that exists', () => {
  const targets = [manifest.main, manifest.types];
  for (const entry of Object.values(manifest.exports)) {
    targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)));
  }
  for (const target of targets) assert.ok(existsSync(new URL(target, `file://${packageDir}`)), target);
});

test('npm pack holds the ES module, the <script> build, their declarations, and nothing else', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir });
  const [packed] = JSON.parse(stdout);
  assert.equal(packed.name, 'myxi-js');
  assert.deepEqual(packed.files.map((file) => file.path).sort(), [
    'LICENSE', 'README.md', 'dist/myxi.global.d.ts', 'dist/myxi.global.js', 'package.json', 'src/myxi.d.ts', 'src/myxi.js',
  ]);
});

test('myxi.d.ts declares every export of the module, and only those', () => {
  const declarations = readFileSync(`${packageDir}src/myxi.d.ts`, 'utf8');
  const declared = [...declarations.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((match) => match[1]);
  assert.deepEqual(declared.sort(), Object.keys(module).sort());
});

test('tsc accepts a typed user of the whole API (test/types)', { timeout: 120000 }, async () => {
  const tsc = `${packageDir}node_modules/typescript/bin/tsc`;
  try {
    await run(process.execPath, [tsc, '--noEmit', '-p', 'test/types'], { cwd: packageDir });
  } catch (error) {
    assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
  }
});
