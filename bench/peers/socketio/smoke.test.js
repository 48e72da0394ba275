'use strict';
// Smoke test of the peer as the harness speaks to it (Engine.IO v4 over WebSocket):
// open, connect, join with an ack, publish on a second socket, receive the event.
//   npm test
const { test } = require('node:test');
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const net = require('node:net');
const WebSocket = require('ws'); // installed with socket.io (engine.io depends on it)

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function client(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  const inbox = [];
  const waiters = [];
  ws.on('message', (data) => {
    const text = data.toString();
    if (text === '2') return ws.send('3');
    const waiter = waiters.findIndex((w) => w.match(text));
    if (waiter >= 0) waiters.splice(waiter, 1)[0].resolve(text);
    else inbox.push(text);
  });
  const next = (prefix) => new Promise((resolve, reject) => {
    const i = inbox.findIndex((t) => t.startsWith(prefix));
    if (i >= 0) return resolve(inbox.splice(i, 1)[0]);
    const timer = setTimeout(() => reject(new Error(`no ${prefix} packet`)), 5000);
    waiters.push({ match: (t) => t.startsWith(prefix), resolve: (t) => { clearTimeout(timer); resolve(t); } });
  });
  return { ws, next };
}

test('join, publish and receive through the peer', async () => {
  const port = await freePort();
  const server = spawn(process.execPath, [`${__dirname}/server.js`], { env: { ...process.env, MYXI_PORT: String(port) } });
  try {
    await new Promise((resolve, reject) => {
      server.stdout.on('data', (d) => d.toString().includes('listening') && resolve());
      server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const sub = client(port);
    const pub = client(port);
    for (const c of [sub, pub]) {
      assert.match(await c.next('0{'), /"sid"/);
      c.ws.send('40');
      await c.next('40');
    }
    sub.ws.send('421["join","k1"]');
    assert.strictEqual(await sub.next('431'), '431[true]');
    pub.ws.send('42["pub","k2",{"event":"bench","payload":{"s":0}}]'); // another room: not for sub
    pub.ws.send('42["pub","k1",{"event":"bench","payload":{"s":1}}]');
    assert.strictEqual(await sub.next('42'), '42["m",{"event":"bench","payload":{"s":1}}]');
    sub.ws.close();
    pub.ws.close();
  } finally {
    server.kill('SIGTERM');
  }
});
