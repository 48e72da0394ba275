'use strict';
// Socket.IO 4.8 peer for myxi-bench: the same job as a Myxi node in the benchmarks, done the
// idiomatic Socket.IO way. In memory, one room per routing key, WebSocket transport only.
//
//   MYXI_PORT=8080 node server.js        (MYXI_BIND_ADDRESS defaults to 127.0.0.1)
//
// Protocol (Socket.IO events on the default namespace):
//   "join"  (key, ack)  joins the room of `key`, then acks true: the client's "Subscribed".
//   "leave" (key, ack)  leaves it.
//   "pub"   (key, msg)  emits "m" with `msg` to the room of `key`. The harness publishes through one
//                       socket of its own, from its own process, as it publishes to RabbitMQ for
//                       Myxi: the event is decoded once and encoded once per emit, like a node's.
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.env.MYXI_PORT || 8080);
const host = process.env.MYXI_BIND_ADDRESS || '127.0.0.1';

const httpServer = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 1e6,
});

let published = 0;
io.on('connection', (socket) => {
  socket.on('join', (key, ack) => {
    if (typeof key !== 'string') return;
    socket.join(key);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('leave', (key, ack) => {
    if (typeof key !== 'string') return;
    socket.leave(key);
    if (typeof ack === 'function') ack(true);
  });
  socket.on('pub', (key, msg) => {
    if (typeof key !== 'string') return;
    published++;
    io.to(key).emit('m', msg);
  });
});

httpServer.listen(port, host, 4096, () => {
  console.log(`socket.io peer listening on ${host}:${port}`);
});

function stop() {
  console.log(`stopping; ${published} events published`);
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
