import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';
import { GLOBAL_BUILD_PATH, MODULE_PATH, buildGlobal } from '../scripts/build-global.mjs';
import * as module from '../src/myxi.js';

const committedBuild = readFileSync(GLOBAL_BUILD_PATH, 'utf8');

test('dist/myxi.global.js is up to date with src/myxi.js (run `npm run build`)', () => {
  assert.equal(committedBuild, buildGlobal(readFileSync(MODULE_PATH, 'utf8')));
});

test('the global build, loaded as a classic script, sets Myxi with the module exports', () => {
  const window = vm.createContext({});
  vm.runInContext(committedBuild, window, { filename: 'myxi.global.js' });
  assert.deepEqual(Object.keys(window.Myxi).sort(), Object.keys(module).sort());
  assert.equal(typeof window.Myxi.Connection, 'function');
  assert.equal(window.Myxi.reconnectDelay(1, { baseMs: 500, capMs: 30000 }, () => 0.5), 250);
});

test('the global build keeps module-private names out of the global scope', () => {
  const window = vm.createContext({});
  vm.runInContext(committedBuild, window);
  assert.equal(window.Emitter, undefined);
  assert.equal(window.subscriptionKey, undefined);
});

test('buildGlobal refuses sources it cannot convert safely', () => {
  assert.throws(() => buildGlobal('const a = 1;\n'), /exactly one `export/);
  assert.throws(() => buildGlobal("import x from 'y';\nexport { x };\n"), /no imports/);
  assert.throws(() => buildGlobal('export const a = 1;\nexport { a };\n'), /exactly one `export/);
  assert.throws(() => buildGlobal('const a = 1;\nexport { a as b };\n'), /plain names/);
});
