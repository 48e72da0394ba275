// A Myxi server fake speaking the subset of docs/protocol.md the client tests need, on 127.0.0.1
// and an ephemeral port. Tests steer it through its public fields and hooks.
import { EventEmitter } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { Connection } from '../src/myxi.js';

export const VALID_TOKEN = 'let-me-in';

export class FakeServer extends EventEmitter {
  constructor() {
    super();
    this.sessions = [];
    this.receivedActions = []; // {session, action, tag, payload}
    this.deniedKeys = new Set(); // "exchange/routingKey" refused with SubscriptionDenied
    this.subscribeErrors = new Map(); // "exchange/routingKey" -> error code to reply instead
    this.unsubscribeErrors = new Map(); // "exchange/routingKey" -> error codes, one per Unsubscribe
    this.authenticationDelayMs = 0;
    this.silentActions = new Set(); // actions left without any reply
    // Exchanges with history: exchange -> [{o, t, rk, event, payload}], kept for replays.
    this.histories = new Map();
    // Called with each new session before Welcome; return false to handle the socket yourself.
    this.onConnection = () => true;
  }

  async start() {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve, reject) => {
      this.wss.once('listening', resolve);
      this.wss.once('error', reject);
    });
    this.url = `ws://127.0.0.1:${this.wss.address().port}`;
    this.wss.on('connection', (socket, request) => this._accept(socket, request));
    return this;
  }

  _accept(socket, request) {
    const session = {
      id: (this.sessions.length + 1).toString(16).padStart(16, '0'),
      socket,
      path: request.url,
      authenticated: false,
      subscriptions: new Set(),
    };
    this.sessions.push(session);
    this.emit('connection', session);
    if (this.onConnection(session) === false) return;
    this.send(session, { event: 'Welcome', payload: { id: session.id } });
    socket.on('message', (data) => this._receive(session, JSON.parse(data.toString())));
  }

  _receive(session, { action, tag, payload = {} }) {
    const received = { session, action, tag, payload };
    this.receivedActions.push(received);
    this.emit('action', received);
    if (this.silentActions.has(action)) return;
    const reply = (event, replyPayload) => this.send(session, { event, tag, payload: replyPayload });
    const { exchange, routing_key: routingKey } = payload;
    const key = `${exchange}/${routingKey}`;
    switch (action) {
      case 'Ping':
        return reply('Pong', { time: Math.floor(Date.now() / 1000) });
      case 'Authenticate':
        return setTimeout(() => {
          if (payload.token !== VALID_TOKEN) return reply('Error', { error: 'InvalidAuthentication' });
          session.authenticated = true;
          reply('Authenticated', {});
        }, this.authenticationDelayMs);
      case 'Subscribe':
        if (this.deniedKeys.has(key)) return reply('Error', { error: 'SubscriptionDenied', exchange, routing_key: routingKey });
        if (this.subscribeErrors.has(key)) {
          return reply('Error', { error: this.subscribeErrors.get(key), exchange, routing_key: routingKey });
        }
        if (session.subscriptions.has(key)) return reply('Error', { error: 'AlreadySubscribed', exchange, routing_key: routingKey });
        session.subscriptions.add(key);
        if (this.histories.has(exchange)) return this._subscribeWithHistory(session, reply, exchange, routingKey, payload.since);
        return reply('Subscribed', { exchange, routing_key: routingKey });
      case 'Unsubscribe':
        if (this.unsubscribeErrors.get(key)?.length) {
          return reply('Error', { error: this.unsubscribeErrors.get(key).shift(), exchange, routing_key: routingKey });
        }
        if (!session.subscriptions.delete(key)) return reply('Error', { error: 'NotSubscribed', exchange, routing_key: routingKey });
        return reply('Unsubscribed', { exchange, exchange_name: exchange, routing_key: routingKey, auto: false });
      case 'Fail':
        return reply('InternalError', { error: 'InternalError', id: 'log-1' });
      default:
        return reply('Error', { error: 'InvalidAction' });
    }
  }

  // Like the Java node: replay what follows `since`, then Subscribed {recovered}; a position the
  // log does not hold (or holds with another tag) is not recovered.
  _subscribeWithHistory(session, reply, exchange, routingKey, since) {
    const log = this.histories.get(exchange);
    const last = log[log.length - 1];
    const answer = { exchange, routing_key: routingKey };
    if (last) answer.position = { o: last.o, t: last.t };
    if (since) {
      const at = log.find((entry) => entry.o === since.o);
      if (!at || at.t !== since.t) {
        Object.assign(answer, { recovered: false, reason: at ? 'epoch' : 'too_old' });
      } else {
        for (const entry of log) {
          if (entry.o > since.o && entry.rk === routingKey) this.send(session, this._historyFrame(exchange, entry));
        }
        answer.recovered = true;
      }
    }
    return reply('Subscribed', answer);
  }

  _historyFrame(exchange, entry) {
    return { event: entry.event, payload: entry.payload, mq: { e: exchange, rk: entry.rk, o: entry.o, t: entry.t } };
  }

  send(session, frame) {
    if (session.socket.readyState === 1) session.socket.send(JSON.stringify(frame));
  }

  // Sends an application event to every session subscribed to exchange/routingKey.
  // On an exchange with history the event is kept with a position, even with nobody subscribed.
  publish(exchange, routingKey, event, payload) {
    let frame = { event, payload, mq: { e: exchange, rk: routingKey } };
    const log = this.histories.get(exchange);
    if (log) {
      const entry = { o: log.length, t: `t${log.length}`, rk: routingKey, event, payload };
      log.push(entry);
      frame = this._historyFrame(exchange, entry);
    }
    for (const session of this.openSessions()) {
      if (session.subscriptions.has(`${exchange}/${routingKey}`)) {
        this.send(session, frame);
      }
    }
  }

  revoke(session, exchange, routingKey) {
    session.subscriptions.delete(`${exchange}/${routingKey}`);
    this.send(session, {
      event: 'Unsubscribed',
      payload: { exchange, exchange_name: exchange, routing_key: routingKey, auto: true },
    });
  }

  openSessions() {
    return this.sessions.filter((session) => session.socket.readyState === 1);
  }

  closeAll(code = 1001, reason = '') {
    for (const session of this.openSessions()) session.socket.close(code, reason);
  }

  // Resolves with the next action received named `action` (and matching `predicate`).
  nextAction(action, predicate = () => true, timeoutMs = 5000) {
    return waitForEvent(this, 'action', (received) => received.action === action && predicate(received), timeoutMs);
  }

  nextConnection(timeoutMs = 5000) {
    return waitForEvent(this, 'connection', () => true, timeoutMs);
  }

  async stop() {
    for (const session of this.sessions) session.socket.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
  }
}

export async function startFakeServer() {
  return new FakeServer().start();
}

// Resolves with the first `event` whose first argument matches; rejects after timeoutMs.
// Works for Node EventEmitters and Myxi connections/subscriptions alike.
export function waitForEvent(emitter, event, predicate = () => true, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const listener = (value, ...rest) => {
      if (!predicate(value, ...rest)) return;
      cleanUp();
      resolve(value);
    };
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
    }, timeoutMs);
    const cleanUp = () => {
      clearTimeout(timer);
      emitter.off(event, listener);
    };
    emitter.on(event, listener);
  });
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Test fixtures that clean up after themselves, so every test file exits on its own.
export async function startServerFor(t) {
  const server = await startFakeServer();
  t.after(() => server.stop());
  return server;
}

export function connectClientFor(t, url, options = {}) {
  const connection = new Connection(url, {
    WebSocket,
    // Generous, so a loaded machine does not turn slow replies into Timeouts.
    actionTimeoutMs: 3000,
    ...options,
    reconnect: { baseMs: 10, capMs: 40, ...options.reconnect },
  });
  t.after(() => connection.disconnect());
  return connection;
}
