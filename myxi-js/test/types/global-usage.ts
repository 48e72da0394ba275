// The <script> build's global, as a page's own TypeScript sees it.
import type {} from 'myxi-js/global'; // brings in the global `Myxi`

const page = new Myxi.Connection('ws://localhost:5005/');
page.subscribe('users', 'alice').on('Shared', (payload: { from: string }) => console.log(payload.from));
const fromWindow: typeof Myxi = window.Myxi;

export { fromWindow };
