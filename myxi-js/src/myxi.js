// myxi.js: browser client for Myxi real-time exchanges. See docs/client.md.
//
// A dependency-free ES module. dist/myxi.global.js (window.Myxi) is generated from this file by
// scripts/build-global.mjs, which requires the exports to stay in the single `export { ... };`
// statement at the end.

// Close codes the server uses on purpose (docs/protocol.md), each surfaced as an event of its own.
const CLOSE_CODE_EVENTS = Object.freeze({
  1001: 'GoingAway',
  1009: 'MessageTooBig',
  4001: 'SlowConsumer',
  4002: 'RateLimited',
  4003: 'AuthenticationTimeout',
  4004: 'TooManyConnections',
});

const DEFAULT_RECONNECT = Object.freeze({
  baseMs: 500,
  capMs: 30000,
  maxAttempts: Infinity,
  // Only a connection that stayed up this long resets the backoff, so a server that accepts and
  // closes at once is retried ever more slowly instead of in a tight loop.
  resetAfterMs: 5000,
});

// Subscribe failures that may well succeed a little later on the same connection.
const RETRYABLE_SUBSCRIBE_ERRORS = new Set(['BrokerUnavailable', 'RateLimited', 'Timeout']);

// Full jitter: attempt n (from 1) waits a random time in [0, min(capMs, baseMs * 2^(n-1))).
function reconnectDelay(attempt, { baseMs, capMs }, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

function subscriptionKey(exchange, routingKey) {
  return JSON.stringify([String(exchange), String(routingKey)]);
}

function actionError(code, actionName, frame) {
  const error = new Error(`Myxi action ${actionName} failed: ${code}`);
  error.code = code;
  error.action = actionName;
  error.frame = frame;
  return error;
}

// Browsers' reportError shows the error like an uncaught one (console, window.onerror).
function reportListenerError(error) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

class Emitter {
  constructor() {
    this._listeners = new Map();
  }

  on(event, callback) {
    if (!this._listeners.has(event)) this._listeners.set(event, []);
    this._listeners.get(event).push(callback);
    return this;
  }

  // Without a callback, removes every listener of the event.
  off(event, callback) {
    const listeners = this._listeners.get(event);
    if (!listeners) return this;
    const remaining = callback ? listeners.filter((listener) => listener !== callback) : [];
    if (remaining.length) this._listeners.set(event, remaining);
    else this._listeners.delete(event);
    return this;
  }

  _emit(event, ...args) {
    const listeners = this._listeners.get(event);
    if (!listeners) return;
    for (const callback of [...listeners]) {
      try {
        callback.apply(this, args);
      } catch (error) {
        // One broken listener must not stop the others or the client's own bookkeeping.
        reportListenerError(error);
      }
    }
  }
}

class Subscription extends Emitter {
  constructor(connection, exchange, routingKey) {
    super();
    this.connection = connection;
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.key = subscriptionKey(exchange, routingKey);
    // pending: to be sent once the connection is ready; subscribing: Subscribe sent, no reply yet;
    // subscribed: confirmed; closed: ended for good (unsubscribed, denied, revoked or refused).
    this.state = 'pending';
    this._retryAttempt = 0;
    this._retryTimer = null;
  }

  get subscribed() {
    return this.state === 'subscribed';
  }

  // Resolves (never rejects) once the subscription is gone; 'Unsubscribed' fires exactly once.
  unsubscribe() {
    if (this.state === 'closed') return Promise.resolve();
    const knownToServer = this.state === 'subscribing' || this.state === 'subscribed';
    this._close();
    const localPayload = {
      exchange: this.exchange,
      exchange_name: this.exchange,
      routing_key: this.routingKey,
      auto: false,
    };
    if (!knownToServer || !this.connection.isConnected()) {
      return Promise.resolve().then(() => this._emit('Unsubscribed', localPayload));
    }
    return this.connection
      .sendAction('Unsubscribe', { exchange: this.exchange, routing_key: this.routingKey })
      .then(
        (reply) => this._emit('Unsubscribed', reply.payload, reply),
        () => this._emit('Unsubscribed', localPayload),
      );
  }

  _subscribe() {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this.state = 'subscribing';
    this.connection
      .sendAction('Subscribe', { exchange: this.exchange, routing_key: this.routingKey })
      .then(
        (reply) => this._confirmed(reply.payload, reply),
        (error) => this._refused(error),
      );
  }

  _confirmed(payload, frame) {
    // Any other state means the reply is stale: the socket closed or the app unsubscribed meanwhile.
    if (this.state !== 'subscribing') return;
    this.state = 'subscribed';
    this._retryAttempt = 0;
    this._emit('Subscribed', payload, frame);
  }

  _refused(error) {
    if (this.state !== 'subscribing') return;
    const frame = error.frame;
    const payload = frame?.payload ?? { error: error.code, exchange: this.exchange, routing_key: this.routingKey };
    if (error.code === 'AlreadySubscribed') {
      // A retry after a timed-out Subscribe that the server did carry out.
      this._confirmed(payload, frame);
    } else if (error.code === 'SubscriptionDenied') {
      this._close();
      this._emit('SubscriptionDenied', payload, frame);
    } else if (RETRYABLE_SUBSCRIBE_ERRORS.has(error.code)) {
      this.state = 'pending';
      this._scheduleRetry();
      this._emit('Error', payload, frame);
    } else {
      this._close();
      this._emit('Error', payload, frame);
    }
  }

  _scheduleRetry() {
    const delayMs = reconnectDelay(++this._retryAttempt, this.connection.reconnectOptions);
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (this.state === 'pending' && this.connection._ready) this._subscribe();
    }, delayMs);
  }

  _deliver(frame) {
    this._emit(frame.event, frame.payload, frame);
    this._emit('*', frame.payload, frame);
  }

  // The socket closed: the server forgot this subscription, send it again on the next connection.
  _reset() {
    if (this.state === 'closed') return;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._retryAttempt = 0;
    this.state = 'pending';
  }

  _close() {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this.state = 'closed';
    this.connection._forget(this);
  }
}

class Connection extends Emitter {
  constructor(url, options = {}) {
    super();
    this.url = url;
    this.reconnectOptions = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.actionTimeoutMs = options.actionTimeoutMs ?? 10000;
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError('No WebSocket implementation found: pass options.WebSocket');
    }
    this.sessionId = null;
    this._socket = null;
    this._open = false;
    this._openedAt = 0;
    this._authenticated = false;
    this._ready = false; // open, and authenticated if an authentication callback is set
    this._authenticationCallback = null;
    this._subscriptions = new Map();
    this._pendingActions = new Map();
    this._nextTag = 1;
    this._reconnectAttempt = 0;
    this._reconnectTimer = null;
    this._stopped = false;
    this._connect();
  }

  authentication(callback) {
    this._authenticationCallback = callback;
    return this;
  }

  isConnected() {
    return this._open;
  }

  isAuthenticated() {
    return this._authenticated;
  }

  markAuthenticated() {
    if (!this._open || this._authenticated) return;
    this._authenticated = true;
    this._emit('SocketAuthenticated');
    this._becomeReady();
  }

  sendAction(name, payload = {}) {
    if (!this._open) return Promise.reject(actionError('Disconnected', name));
    const tag = this._nextTag++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pendingActions.delete(tag);
        reject(actionError('Timeout', name));
      }, this.actionTimeoutMs);
      this._pendingActions.set(tag, { name, resolve, reject, timer });
      this._socket.send(JSON.stringify({ action: name, tag, payload }));
    });
  }

  subscribe(exchange, routingKey) {
    if (exchange == null || routingKey == null) {
      throw new TypeError('subscribe() needs an exchange and a routing key');
    }
    const key = subscriptionKey(exchange, routingKey);
    let subscription = this._subscriptions.get(key);
    if (!subscription) {
      subscription = new Subscription(this, String(exchange), String(routingKey));
      this._subscriptions.set(key, subscription);
      if (this._ready) subscription._subscribe();
    }
    return subscription;
  }

  subscriptions() {
    return [...this._subscriptions.values()];
  }

  // Final: no reconnect afterwards, and no further events.
  disconnect() {
    this._stopped = true;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    const socket = this._socket;
    if (!socket) return;
    const wasOpen = this._open;
    this._endSession();
    socket.close(1000, 'disconnect');
    if (wasOpen) this._emit('SocketDisconnected', { code: 1000, reason: 'disconnect' });
  }

  _connect() {
    const socket = new this._WebSocket(this.url);
    this._socket = socket;
    // Handlers of a socket that was replaced or given up on must do nothing.
    socket.onopen = () => socket === this._socket && this._handleOpen();
    socket.onmessage = (event) => socket === this._socket && this._handleMessage(event.data);
    socket.onclose = (event) => socket === this._socket && this._handleClose(event.code, event.reason);
    // An error is always followed by close, which does the work. Without a listener, Node's `ws`
    // would throw the error.
    socket.onerror = () => {};
  }

  _handleOpen() {
    const socket = this._socket;
    this._open = true;
    this._openedAt = Date.now();
    this._emit('SocketConnected');
    if (!this._authenticationCallback) {
      this._becomeReady();
      return;
    }
    let result;
    try {
      result = this._authenticationCallback(this);
    } catch (error) {
      this._authenticationFailed(error);
      return;
    }
    // A callback that returns no promise calls markAuthenticated() itself, as with the gem.
    if (typeof result?.then !== 'function') return;
    result.then(
      () => socket === this._socket && this.markAuthenticated(),
      (error) => socket === this._socket && this._authenticationFailed(error),
    );
  }

  _authenticationFailed(error) {
    this._emit('AuthenticationFailed', error);
    // No answer is not a refusal: rather than sit connected but unauthenticated (and without
    // subscriptions), start over on a fresh connection, with backoff.
    if (error?.code === 'Timeout' && this._socket) this._dropSocket(1000, 'authentication timed out');
  }

  // Closes the socket and does the close bookkeeping now; the socket's own close event comes later
  // and is ignored, as the socket is no longer current.
  _dropSocket(code, reason) {
    this._socket.close(code, reason);
    this._handleClose(code, reason);
  }

  _becomeReady() {
    if (!this._open) return;
    this._ready = true;
    for (const subscription of this._subscriptions.values()) {
      if (subscription.state === 'pending') subscription._subscribe();
    }
  }

  _handleMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // the server only sends JSON; anything else is not for us
    }
    if (!frame || typeof frame !== 'object') return;
    const { event, payload, mq } = frame;
    if (event === 'Welcome') this.sessionId = payload?.id ?? null;
    this._settleAction(frame);
    if (event === 'Unsubscribed') this._handleUnsubscribed(frame);
    if (event === 'MissedEvents') {
      for (const subscription of this.subscriptions()) subscription._emit('MissedEvents', payload, frame);
    }
    if (mq) this._subscriptions.get(subscriptionKey(mq.e, mq.rk))?._deliver(frame);
    this._emit(event, payload, frame);
    // The runnable server's token ran out: the server is about to revoke what it no longer allows.
    // Start over instead, so the authentication callback fetches a fresh token and every
    // subscription is sent again; frames still arriving on the old socket are ignored.
    if (event === 'AuthenticationExpired' && this._socket) this._dropSocket(1000, 'authentication expired');
  }

  _settleAction(frame) {
    const pending = frame.tag === undefined ? undefined : this._pendingActions.get(frame.tag);
    if (!pending) return;
    // Only the first reply settles; further replies to the same tag (e.g. one per routing key) are
    // still emitted as events.
    this._pendingActions.delete(frame.tag);
    clearTimeout(pending.timer);
    if (frame.event === 'Error' || frame.event === 'InternalError') {
      pending.reject(actionError(frame.payload?.error ?? frame.event, pending.name, frame));
    } else {
      pending.resolve(frame);
    }
  }

  // Revocations (auto: true) and Unsubscribe replies to actions the app sent itself. Replies to
  // subscription.unsubscribe() find nothing here: that subscription left the map already.
  _handleUnsubscribed(frame) {
    const { exchange, exchange_name: exchangeName, routing_key: routingKey } = frame.payload ?? {};
    const subscription = this._subscriptions.get(subscriptionKey(exchange ?? exchangeName, routingKey));
    // A subscription still waiting for its Subscribe reply is a newer one with the same key.
    if (!subscription || subscription.state !== 'subscribed') return;
    subscription._close();
    subscription._emit('Unsubscribed', frame.payload, frame);
  }

  _handleClose(code, reason) {
    const wasOpen = this._open;
    if (wasOpen && Date.now() - this._openedAt >= this.reconnectOptions.resetAfterMs) {
      this._reconnectAttempt = 0;
    }
    this._endSession();
    const closeEvent = { code, reason };
    if (wasOpen) this._emit('SocketDisconnected', closeEvent);
    if (CLOSE_CODE_EVENTS[code]) this._emit(CLOSE_CODE_EVENTS[code], closeEvent);
    this._scheduleReconnect();
  }

  _endSession() {
    this._socket = null;
    this._open = false;
    this._ready = false;
    this._authenticated = false;
    this.sessionId = null;
    for (const subscription of this._subscriptions.values()) subscription._reset();
    const pendingActions = [...this._pendingActions.values()];
    this._pendingActions.clear();
    for (const pending of pendingActions) {
      clearTimeout(pending.timer);
      pending.reject(actionError('Disconnected', pending.name));
    }
  }

  _scheduleReconnect() {
    if (this._stopped) return;
    if (this._reconnectAttempt >= this.reconnectOptions.maxAttempts) {
      this._stopped = true;
      this._emit('ReconnectFailed', { attempts: this._reconnectAttempt });
      return;
    }
    const attempt = ++this._reconnectAttempt;
    const delayMs = reconnectDelay(attempt, this.reconnectOptions);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      this._connect();
    }, delayMs);
    this._emit('Reconnecting', { attempt, delayMs });
  }

  _forget(subscription) {
    if (this._subscriptions.get(subscription.key) === subscription) this._subscriptions.delete(subscription.key);
  }
}

export { Connection, Subscription, reconnectDelay, CLOSE_CODE_EVENTS };
