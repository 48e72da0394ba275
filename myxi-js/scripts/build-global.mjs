// Generates dist/myxi.global.js, the plain <script> build that sets window.Myxi, from the ES module
// src/myxi.js. No bundler: the module has no imports and one `export { ... };` at its end, so
// wrapping it in a function and turning that export into a global assignment is all it takes.
//
//   node scripts/build-global.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const MODULE_PATH = `${packageDir}src/myxi.js`;
export const GLOBAL_BUILD_PATH = `${packageDir}dist/myxi.global.js`;

const EXPORT_STATEMENT = /^export \{([^}]*)\};?[ \t]*$/m;

export function buildGlobal(moduleSource) {
  const match = moduleSource.match(EXPORT_STATEMENT);
  const rest = match ? moduleSource.replace(EXPORT_STATEMENT, '') : moduleSource;
  if (!match || /^\s*(export|import)\b/m.test(rest)) {
    throw new Error('src/myxi.js must have no imports and exactly one `export { ... };` statement');
  }
  const names = match[1].split(',').map((name) => name.trim()).filter(Boolean);
  if (names.some((name) => !/^[A-Za-z_$][\w$]*$/.test(name))) {
    throw new Error('the export statement may only list plain names (no `as`)');
  }
  const body = moduleSource.replace(EXPORT_STATEMENT, `globalThis.Myxi = { ${names.join(', ')} };`);
  return [
    '// Generated from src/myxi.js by scripts/build-global.mjs; edit the module, not this file.',
    '(function () {',
    "'use strict';",
    body.trimEnd(),
    '})();',
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(GLOBAL_BUILD_PATH, buildGlobal(readFileSync(MODULE_PATH, 'utf8')));
  console.log(`wrote ${GLOBAL_BUILD_PATH}`);
}
