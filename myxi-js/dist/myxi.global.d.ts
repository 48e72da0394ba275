// Types for the <script> build (dist/myxi.global.js), which sets the global `Myxi` to the ES
// module's exports. Bring it in with `import type {} from 'myxi-js/global';`.
import type * as MyxiModule from '../src/myxi.js';

declare global {
  const Myxi: typeof MyxiModule;
  interface Window {
    Myxi: typeof MyxiModule;
  }
}

export {};
