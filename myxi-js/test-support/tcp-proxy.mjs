// A TCP proxy on 127.0.0.1 that a test controls, standing for the network between a browser and a
// Myxi node:
// - reset(): every connection through it is reset (RST), as when a router reboots;
// - drop(): traffic silently stops: sockets stay open but nothing is forwarded any more, and new
//   connections are accepted but never answered (a black hole, as after a Wi-Fi or NAT change).
//   Connections caught in it stay dead for good, as a NAT that forgot them would leave them;
// - resume(): new connections are forwarded again.
// A connection made while the target does not listen is closed at once (connection refused).
import { connect, createServer } from 'node:net';

const ignore = () => {};

export class TcpProxy {
  constructor(targetPort, targetHost = '127.0.0.1') {
    this.targetPort = targetPort;
    this.targetHost = targetHost;
    this.dropping = false;
    this.links = new Set();
  }

  async start() {
    this.server = createServer((client) => this._accept(client));
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
    return this;
  }

  _accept(client) {
    const link = { client, upstream: null, dead: this.dropping };
    this.links.add(link);
    client.on('error', ignore);
    client.on('close', () => {
      this.links.delete(link);
      if (!link.dead) link.upstream?.destroy();
    });
    if (link.dead) {
      client.on('data', ignore); // swallowed: the handshake never gets an answer
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    link.upstream = upstream;
    upstream.on('error', ignore);
    upstream.on('close', () => !link.dead && client.destroy());
    client.on('data', (data) => !link.dead && upstream.write(data));
    upstream.on('data', (data) => !link.dead && client.write(data));
  }

  drop() {
    this.dropping = true;
    for (const link of this.links) link.dead = true;
  }

  resume() {
    this.dropping = false;
  }

  reset() {
    for (const link of this.links) {
      link.client.resetAndDestroy();
      link.upstream?.destroy();
    }
    this.links.clear();
  }

  async stop() {
    this.reset();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
