// myxi.js: browser client for Myxi real-time exchanges. See docs/client.md.
//
// A dependency-free ES module. dist/myxi.global.js (window.Myxi) is generated from this file by
// scripts/build-global.mjs, which requires a single file without imports and the exports in the
// single `export { ... };` statement at the end. Sections: errors, events, subscriptions (a shared
// server subscription per key, handles per caller), the connection (lifecycle, authentication,
// heartbeat, frames).

// ---------------------------------------------------------------------------------------------
// Options and constants

// Close codes the server uses on purpose (docs/protocol.md), each surfaced as an event of its own.
const CLOSE_CODE_EVENTS = Object.freeze({
  1001: 'GoingAway',
  1009: 'MessageTooBig',
  4001: 'SlowConsumer',
  4002: 'RateLimited',
  4003: 'AuthenticationTimeout',
  4004: 'TooManyConnections',
});

const GOING_AWAY = 1001;

const DEFAULT_RECONNECT = Object.freeze({
  baseMs: 500,
  // Short, so a page is back within a second of its node (after a restart the wait is about a
  // third of the cap, plus the handshake); a node's pages still come back spread over a second.
  // Nodes with many thousands of pages may raise it: see docs/client.md.
  capMs: 1000,
  maxAttempts: Infinity,
  // Only a connection that stayed up this long resets the backoff, so a server that accepts and
  // closes at once is retried at the cap instead of in a tight loop.
  resetAfterMs: 5000,
});

const DEFAULT_HEARTBEAT = Object.freeze({
  // A Ping after this long without any frame from the server...
  intervalMs: 25000,
  // ...must be followed by some frame within this long, or the socket is dropped as dead.
  timeoutMs: 10000,
});

// Errors that may well go away if the same thing is tried again a little later.
const RETRYABLE_CODES = new Set(['BrokerUnavailable', 'RateLimited', 'Timeout', 'Disconnected', 'InternalError']);

// Full jitter: attempt n (from 1) waits a random time in [0, min(capMs, baseMs * 2^(n-1))).
function reconnectDelay(attempt, { baseMs, capMs }, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

function subscriptionKey(exchange, routingKey) {
  return JSON.stringify([String(exchange), String(routingKey)]);
}

// ---------------------------------------------------------------------------------------------
// Errors

// Every error the client produces: `code` names it (the server's error code, or Timeout,
// Disconnected, InternalError), `retryable` tells whether trying again later may succeed.
class MyxiError extends Error {
  constructor(code, message, { payload, frame, action, retryable } = {}) {
    super(message ?? `Myxi error: ${code}`);
    this.name = 'MyxiError';
    this.code = code;
    this.retryable = retryable ?? RETRYABLE_CODES.has(code);
    this.payload = payload ?? frame?.payload ?? { error: code };
    this.frame = frame;
    this.action = action;
  }
}

function actionError(code, actionName, frame) {
  return new MyxiError(code, `Myxi action ${actionName} failed: ${code}`, { frame, action: actionName });
}

// Application errors are retryable unless they say otherwise (`error.retryable === false`).
function isRetryable(error) {
  return error?.retryable !== false;
}

// Browsers' reportError shows the error like an uncaught one (console, window.onerror).
function reportListenerError(error) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

// ---------------------------------------------------------------------------------------------
// Events

class Emitter {
  constructor() {
    this._listeners = new Map();
  }

  on(event, callback) {
    if (!this._listeners.has(event)) this._listeners.set(event, []);
    this._listeners.get(event).push(callback);
    return this;
  }

  // The callback runs for the next `event` only.
  once(event, callback) {
    const wrapper = (...args) => {
      this.off(event, wrapper);
      callback.apply(this, args);
    };
    wrapper.listener = callback;
    return this.on(event, wrapper);
  }

  // Without a callback, removes every listener of the event.
  off(event, callback) {
    const listeners = this._listeners.get(event);
    if (!listeners) return this;
    const remaining = callback ? listeners.filter((listener) => listener !== callback && listener.listener !== callback) : [];
    if (remaining.length) this._listeners.set(event, remaining);
    else this._listeners.delete(event);
    return this;
  }

  listenerCount(event) {
    return this._listeners.get(event)?.length ?? 0;
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

// ---------------------------------------------------------------------------------------------
// Subscriptions

// What one caller holds: its own listeners over the shared server subscription of its key.
class Subscription extends Emitter {
  constructor(shared) {
    super();
    this._shared = shared;
    this.connection = shared.connection;
    this.exchange = shared.exchange;
    this.routingKey = shared.routingKey;
    this.key = shared.key;
    this._closed = false;
    this._unsubscribed = null;
  }

  // pending: to be sent once the connection is ready; subscribing: Subscribe sent, no reply yet;
  // subscribed: confirmed on the current socket; closed: unsubscribed, denied, revoked or refused.
  get state() {
    if (this._closed) return 'closed';
    return this._shared.state === 'unsubscribing' ? 'pending' : this._shared.state;
  }

  get subscribed() {
    return this.state === 'subscribed';
  }

  // On an exchange with history: {o, t} of the last event seen (or where the server said the
  // subscription started), sent back on every resubscribe; null otherwise.
  get position() {
    return this._shared.position ? { ...this._shared.position } : null;
  }

  // Stops this handle's events at once. Resolves (never rejects) when the subscription is gone:
  // at once if other handles still hold it, else once the server confirmed the Unsubscribe
  // (retried with backoff, e.g. after RateLimited) or the socket closed. 'Unsubscribed' fires
  // exactly once.
  unsubscribe() {
    if (this._unsubscribed) return this._unsubscribed;
    if (this._closed) return (this._unsubscribed = Promise.resolve());
    this._closed = true;
    this._unsubscribed = this._shared.detach(this).then(([payload, frame]) => this._emit('Unsubscribed', payload, frame));
    return this._unsubscribed;
  }
}

// A position on an exchange with history: the offset and tag of an event (docs/delivery.md).
function isPosition(value) {
  return value != null && Number.isSafeInteger(value.o) && value.o >= 0 && typeof value.t === 'string';
}

// One server subscription per (exchange, routing key), shared by every handle of that key.
class SharedSubscription {
  constructor(connection, exchange, routingKey) {
    this.connection = connection;
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.key = subscriptionKey(exchange, routingKey);
    this.handles = new Set();
    // pending | subscribing | subscribed | unsubscribing | closed
    this.state = 'pending';
    // The server may hold it on the current socket (a Subscribe was sent and not refused).
    this._onServer = false;
    this._confirmation = null;
    this._retryAttempt = 0;
    this._retryTimer = null;
    this._unsubscribeWaiters = [];
    // The position ({o, t}) of the last event seen on an exchange with history, or where the server
    // said this subscription started; sent back on every resubscribe so the server replays the gap.
    this.position = null;
  }

  _localPayload(auto = false) {
    return { exchange: this.exchange, exchange_name: this.exchange, routing_key: this.routingKey, auto };
  }

  attach(handle) {
    this.handles.add(handle);
    if (this.state === 'subscribed') {
      // Confirmed already: tell the newcomer too, once its listeners are attached.
      const [payload, frame] = this._confirmation;
      queueMicrotask(() => !handle._closed && this.state === 'subscribed' && handle._emit('Subscribed', payload, frame));
    }
  }

  detach(handle) {
    this.handles.delete(handle);
    if (this.handles.size > 0 || this.state === 'closed') return Promise.resolve([this._localPayload(), undefined]);
    const done = new Promise((resolve) => this._unsubscribeWaiters.push(resolve));
    if (this.state === 'unsubscribing') return done;
    this._clearRetry();
    if (!this._onServer || !this.connection.isConnected()) {
      this._unsubscribed(this._localPayload());
    } else {
      this.state = 'unsubscribing';
      this._sendUnsubscribe();
    }
    return done;
  }

  _sendUnsubscribe() {
    this.connection
      ._request('Unsubscribe', { exchange: this.exchange, routing_key: this.routingKey }, { internal: true })
      .then(
        (reply) => this.state === 'unsubscribing' && this._unsubscribed(reply.payload, reply),
        (error) => {
          if (this.state !== 'unsubscribing') return;
          // NotSubscribed, or any other final answer: the server holds nothing for this key.
          if (!error.retryable || error.code === 'Disconnected') return this._unsubscribed(this._localPayload());
          this._scheduleRetry(error, () => this.state === 'unsubscribing' && this._sendUnsubscribe());
        },
      );
  }

  // The server no longer holds it. Handles that arrived meanwhile get it subscribed again.
  _unsubscribed(payload, frame) {
    this._onServer = false;
    this._confirmation = null;
    this._clearRetry();
    const waiters = this._unsubscribeWaiters.splice(0);
    if (this.handles.size > 0) {
      this.state = 'pending';
      if (this.connection._ready) this.subscribe();
    } else {
      this.state = 'closed';
      this.connection._forget(this);
    }
    for (const resolve of waiters) resolve([payload, frame]);
  }

  subscribe() {
    this._clearRetry();
    this.state = 'subscribing';
    this._onServer = true;
    const payload = { exchange: this.exchange, routing_key: this.routingKey };
    if (this.position) payload.since = this.position;
    this.connection
      ._request('Subscribe', payload, { internal: true })
      .then(
        (reply) => this._confirmed(reply.payload, reply),
        (error) => this._refused(error),
      );
  }

  _confirmed(payload, frame) {
    // Any other state means the reply is stale: the socket closed or the last handle left meanwhile.
    if (this.state !== 'subscribing') return;
    this.state = 'subscribed';
    this._retryAttempt = 0;
    this._confirmation = [payload, frame];
    const resumed = payload?.recovered;
    // Recovered: the replayed events (which came before this reply) moved the position already.
    // Otherwise the server's position is where this subscription starts now.
    if (resumed !== true && isPosition(payload?.position)) this.position = { o: payload.position.o, t: payload.position.t };
    this._forEachHandle((handle) => handle._emit('Subscribed', payload, frame));
    if (resumed === true) {
      this._forEachHandle((handle) => handle._emit('Recovered', payload, frame));
    } else if (resumed === false) {
      const details = { exchange: this.exchange, routing_key: this.routingKey, reason: payload.reason ?? 'unknown' };
      this._forEachHandle((handle) => handle._emit('NotRecovered', details, frame));
    }
  }

  _refused(error) {
    if (this.state !== 'subscribing') return;
    const frame = error.frame;
    const payload = frame?.payload ?? { error: error.code, exchange: this.exchange, routing_key: this.routingKey };
    if (error.code === 'AlreadySubscribed') {
      // A retry after a timed-out Subscribe that the server did carry out.
      this._confirmed(payload, frame);
    } else if (error.code === 'SubscriptionDenied') {
      this._end((handle) => handle._emit('SubscriptionDenied', payload, frame));
    } else if (error.retryable) {
      this.state = 'pending';
      this._onServer = error.code === 'Timeout'; // it may have been carried out all the same
      this._scheduleRetry(error, () => this.state === 'pending' && this.connection._ready && this.subscribe());
    } else {
      const handled = [...this.handles].some((handle) => handle.listenerCount('Error') > 0);
      this._end((handle) => handle._emit('Error', payload, frame));
      if (!handled) this.connection._unhandled(error);
    }
  }

  _scheduleRetry(error, retry) {
    const attempt = ++this._retryAttempt;
    const delayMs = reconnectDelay(attempt, this.connection.reconnectOptions);
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      retry();
    }, delayMs);
    this.connection._debug(`${error.action} ${this.exchange}/${this.routingKey} failed (${error.code}), retrying`, { error, attempt, delayMs });
    this._forEachHandle((handle) => handle._emit('Retrying', { error, attempt, delayMs }));
  }

  _clearRetry() {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
  }

  // Revocations (Unsubscribed auto:true) and replies to Unsubscribe actions the app sent itself.
  revoked(payload, frame) {
    if (this.state === 'unsubscribing') return this._unsubscribed(payload, frame);
    // A subscription still waiting for its Subscribe reply was sent after this frame's cause.
    if (this.state !== 'subscribed') return false;
    this._end((handle) => handle._emit('Unsubscribed', payload, frame));
    return true;
  }

  deliver(frame) {
    if (isPosition(frame.mq)) this.position = { o: frame.mq.o, t: frame.mq.t };
    this._forEachHandle((handle) => {
      handle._emit(frame.event, frame.payload, frame);
      handle._emit('*', frame.payload, frame);
    });
  }

  missedEvents(payload, frame) {
    this._forEachHandle((handle) => handle._emit('MissedEvents', payload, frame));
  }

  // The socket closed: the server forgot this subscription; send it again on the next connection.
  reset() {
    this._clearRetry();
    this._retryAttempt = 0;
    this._onServer = false;
    if (this.state === 'unsubscribing') this._unsubscribed(this._localPayload());
    else if (this.state !== 'closed') this.state = 'pending';
  }

  // Ended for good by the server: every handle is closed, then told why.
  _end(notify) {
    this._clearRetry();
    this.state = 'closed';
    this._onServer = false;
    this.connection._forget(this);
    const handles = [...this.handles];
    this.handles.clear();
    for (const handle of handles) handle._closed = true;
    for (const handle of handles) notify(handle);
  }

  _forEachHandle(callback) {
    for (const handle of [...this.handles]) if (!handle._closed) callback(handle);
  }
}

// ---------------------------------------------------------------------------------------------
// The connection

// The browser's window, document and navigator, when there are any (not in Node).
function browserEnvironment() {
  return {
    window: typeof globalThis.addEventListener === 'function' ? globalThis : null,
    document: globalThis.document ?? null,
    navigator: globalThis.navigator ?? null,
  };
}

class Connection extends Emitter {
  constructor(urls, options = {}) {
    super();
    this.urls = (Array.isArray(urls) ? urls : [urls]).map(String);
    if (this.urls.length === 0) throw new TypeError('Connection needs at least one URL');
    this._urlIndex = 0;
    this.reconnectOptions = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.heartbeatOptions = options.heartbeat === false ? null : { ...DEFAULT_HEARTBEAT, ...options.heartbeat };
    this.actionTimeoutMs = options.actionTimeoutMs ?? 10000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10000;
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError('No WebSocket implementation found: pass options.WebSocket');
    }
    this._logger = options.logger === undefined ? globalThis.console : options.logger;
    this._environment = { ...browserEnvironment(), ...options.environment };
    this.state = 'disconnected';
    this.sessionId = null;
    this._socket = null;
    this._open = false;
    this._openedAt = 0;
    this._lastFrameAt = 0;
    this._authenticated = false;
    this._authenticating = false;
    this._ready = false; // open, and authenticated if an authentication callback is set
    this._authenticationCallback = options.authentication ?? null;
    this._authenticationAttempt = 0;
    this._warnedNoPromise = false;
    this._subscriptions = new Map(); // key -> SharedSubscription
    this._pendingActions = new Map();
    this._expiredTags = new Set(); // tags of actions that timed out on the current socket
    this._readyWaiters = [];
    this._nextTag = 1;
    this._reconnectAttempt = 0;
    this._timers = { reconnect: null, connect: null, heartbeat: null, authentication: null };
    this._waitingForOnline = false;
    this._checkingLiveness = false;
    this._hiddenAt = null;
    this._stopped = true;
    this._environmentListeners = null;
    if (options.autoConnect !== false) this.connect();
  }

  // The URL of the current (or next) socket.
  get url() {
    return this.urls[this._urlIndex];
  }

  // Starts connecting (again): after `autoConnect: false`, disconnect() or ReconnectFailed.
  // Subscriptions kept across disconnect() are sent again once ready.
  connect() {
    if (!this._stopped) return this;
    this._stopped = false;
    this._reconnectAttempt = 0;
    this._listenToEnvironment();
    this._openSocket();
    return this;
  }

  // Closes the socket (code 1000) and stops reconnecting until connect() is called.
  disconnect() {
    this._stopped = true;
    this._clearTimer('reconnect');
    this._waitingForOnline = false;
    this._stopListeningToEnvironment();
    const socket = this._socket;
    const wasOpen = this._open;
    if (socket) {
      this._endSession();
      closeQuietly(socket, 1000, 'disconnect');
    }
    this._setState('disconnected');
    this._rejectReadyWaiters(new MyxiError('Disconnected', 'Myxi connection disconnected'));
    if (wasOpen) this._emit('SocketDisconnected', { code: 1000, reason: 'disconnect' });
  }

  // Resolves with the connection once it is ready (open and authenticated); rejects if
  // disconnect() is called meanwhile, reconnecting gives up or authentication is refused.
  ready() {
    if (this.state === 'ready') return Promise.resolve(this);
    return new Promise((resolve, reject) => this._readyWaiters.push({ resolve, reject }));
  }

  // The callback runs after every connect; see docs/client.md for its contract. Set on an open
  // socket that is not authenticated, it runs at once.
  authentication(callback) {
    this._authenticationCallback = callback;
    if (callback && this._open && !this._authenticated && !this._authenticating) this._authenticate();
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
    this._authenticating = false;
    this._authenticationAttempt = 0;
    this._clearTimer('authentication');
    this._emit('SocketAuthenticated');
    this._becomeReady();
  }

  sendAction(name, payload = {}) {
    return this._request(name, payload, {});
  }

  // A new handle each call; the server subscription is shared by the handles of a key and ends
  // when the last one unsubscribes.
  subscribe(exchange, routingKey) {
    if (exchange == null || routingKey == null) {
      throw new TypeError('subscribe() needs an exchange and a routing key');
    }
    const key = subscriptionKey(exchange, routingKey);
    let shared = this._subscriptions.get(key);
    const isNew = !shared;
    if (isNew) {
      shared = new SharedSubscription(this, String(exchange), String(routingKey));
      this._subscriptions.set(key, shared);
    }
    const handle = new Subscription(shared);
    shared.attach(handle);
    if (isNew && this._ready) shared.subscribe();
    return handle;
  }

  // Every live handle (what the app holds); their server subscriptions are resent after reconnects.
  subscriptions() {
    return [...this._subscriptions.values()].flatMap((shared) => [...shared.handles]);
  }

  // --- actions ---

  _request(name, payload, { internal = false, timeoutMs = this.actionTimeoutMs }) {
    if (!this._open) return Promise.reject(actionError('Disconnected', name));
    const tag = this._nextTag++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pendingActions.delete(tag);
        this._expiredTags.add(tag);
        reject(actionError('Timeout', name));
      }, timeoutMs);
      this._pendingActions.set(tag, { name, resolve, reject, timer, internal });
      this._socket.send(JSON.stringify({ action: name, tag, payload }));
    });
  }

  // --- lifecycle ---

  _openSocket() {
    this._clearTimer('reconnect');
    this._setState('connecting');
    if (this._offline()) {
      // The browser knows there is no network: wait for its `online` event instead of trying.
      this._waitingForOnline = true;
      return;
    }
    this._waitingForOnline = false;
    const socket = new this._WebSocket(this.url);
    this._socket = socket;
    // Handlers of a socket that was replaced or given up on must do nothing.
    socket.onopen = () => socket === this._socket && this._handleOpen();
    socket.onmessage = (event) => socket === this._socket && this._handleMessage(event.data);
    socket.onclose = (event) => socket === this._socket && this._handleClose(event.code, event.reason);
    // An error is always followed by close, which does the work. Without a listener, Node's `ws`
    // would throw the error.
    socket.onerror = () => {};
    // A handshake lost in a black hole (no answer, no reset) would otherwise wait for the OS.
    this._timers.connect = setTimeout(() => {
      this._timers.connect = null;
      if (socket === this._socket && !this._open) this._dropSocket(1000, 'connect timed out');
    }, this.connectTimeoutMs);
  }

  _handleOpen() {
    this._clearTimer('connect');
    this._open = true;
    this._openedAt = Date.now();
    this._lastFrameAt = this._openedAt;
    this._setState('connected');
    this._armHeartbeat();
    this._emit('SocketConnected');
    if (this._open && this._authenticationCallback) this._authenticate();
    else this._becomeReady();
  }

  _becomeReady() {
    if (!this._open || this._ready) return;
    this._ready = true;
    this._setState('ready');
    for (const waiter of this._readyWaiters.splice(0)) waiter.resolve(this);
    for (const shared of [...this._subscriptions.values()]) {
      if (shared.state === 'pending') shared.subscribe();
    }
  }

  // Closes the socket and does the close bookkeeping now; the socket's own close event comes later
  // (or, through a dead link, never) and is ignored, as the socket is no longer current.
  _dropSocket(code, reason) {
    const socket = this._socket;
    if (!socket) return;
    closeQuietly(socket, code, reason);
    this._handleClose(code, reason);
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
    // A node going away, or one that could not be reached: prefer the next URL, if there is one.
    if (code === GOING_AWAY || !wasOpen) this._urlIndex = (this._urlIndex + 1) % this.urls.length;
    this._scheduleReconnect();
  }

  _endSession() {
    for (const name of ['connect', 'heartbeat', 'authentication']) this._clearTimer(name);
    this._socket = null;
    this._open = false;
    this._ready = false;
    this._authenticated = false;
    this._authenticating = false;
    this._checkingLiveness = false;
    this.sessionId = null;
    for (const shared of [...this._subscriptions.values()]) shared.reset();
    this._expiredTags.clear();
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
      this._stopListeningToEnvironment();
      this._setState('disconnected');
      this._rejectReadyWaiters(new MyxiError('ReconnectFailed', 'Myxi gave up reconnecting', { retryable: false }));
      this._emit('ReconnectFailed', { attempts: this._reconnectAttempt });
      return;
    }
    this._setState('connecting');
    if (this._offline()) {
      this._waitingForOnline = true;
      return;
    }
    const attempt = ++this._reconnectAttempt;
    const delayMs = reconnectDelay(attempt, this.reconnectOptions);
    this._timers.reconnect = setTimeout(() => {
      this._timers.reconnect = null;
      this._openSocket();
    }, delayMs);
    this._emit('Reconnecting', { attempt, delayMs });
  }

  // Reconnects now instead of after the backoff wait (the network or the user is back).
  _reconnectNow() {
    if (this._stopped || !(this._timers.reconnect || this._waitingForOnline)) return false;
    this._openSocket();
    return true;
  }

  // --- the browser: online/offline, visibility ---

  _offline() {
    return this._environment.navigator?.onLine === false;
  }

  _listenToEnvironment() {
    if (this._environmentListeners) return;
    const { window, document } = this._environment;
    const listeners = [
      [window, 'online', () => this._handleOnline()],
      [window, 'offline', () => this._handleOffline()],
      [document, 'visibilitychange', () => this._handleVisibilityChange()],
    ].filter(([target]) => typeof target?.addEventListener === 'function');
    for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
    this._environmentListeners = listeners;
  }

  _stopListeningToEnvironment() {
    for (const [target, type, listener] of this._environmentListeners ?? []) target.removeEventListener(type, listener);
    this._environmentListeners = null;
  }

  _handleOnline() {
    this._emit('Online');
    this._reconnectAttempt = 0;
    if (!this._reconnectNow() && this._open) this._checkLiveness();
  }

  _handleOffline() {
    this._emit('Offline');
    // No network: this socket is gone (events sent meanwhile are lost anyway). Say so now, and
    // wait for `online` to connect again.
    if (this._socket) this._dropSocket(1000, 'offline');
  }

  _handleVisibilityChange() {
    const document = this._environment.document;
    if (document.hidden) {
      this._hiddenAt = Date.now();
      return;
    }
    const hiddenForMs = this._hiddenAt === null ? 0 : Date.now() - this._hiddenAt;
    this._hiddenAt = null;
    // Timers of hidden pages run late, and a sleeping laptop's sockets may be dead.
    if (hiddenForMs < (this.heartbeatOptions?.intervalMs ?? DEFAULT_HEARTBEAT.intervalMs)) return;
    if (!this._reconnectNow() && this._open) this._checkLiveness();
  }

  // --- heartbeat ---

  _armHeartbeat(delayMs = this.heartbeatOptions?.intervalMs) {
    if (!this.heartbeatOptions) return;
    this._clearTimer('heartbeat');
    this._timers.heartbeat = setTimeout(() => {
      this._timers.heartbeat = null;
      const idleMs = Date.now() - this._lastFrameAt;
      if (idleMs < this.heartbeatOptions.intervalMs) this._armHeartbeat(this.heartbeatOptions.intervalMs - idleMs);
      else this._checkLiveness();
    }, delayMs);
  }

  // Pings; any frame within heartbeat.timeoutMs proves the link alive (a busy session may answer
  // the Ping late but still sends other frames), none drops the socket and reconnects.
  _checkLiveness() {
    if (!this._open || this._checkingLiveness) return;
    const socket = this._socket;
    const sentAt = Date.now();
    const timeoutMs = this.heartbeatOptions?.timeoutMs ?? DEFAULT_HEARTBEAT.timeoutMs;
    this._checkingLiveness = true;
    const settled = (error) => {
      if (socket !== this._socket) return;
      this._checkingLiveness = false;
      if (error?.code === 'Timeout' && this._lastFrameAt < sentAt) {
        this._debug('heartbeat timed out: dropping the socket', { timeoutMs });
        this._dropSocket(1000, 'heartbeat timed out');
      } else {
        this._armHeartbeat();
      }
    };
    this._request('Ping', {}, { internal: true, timeoutMs }).then(() => settled(), settled);
  }

  // --- authentication ---

  _authenticate() {
    const socket = this._socket;
    this._authenticating = true;
    this._ready = false;
    this._setState('authenticating');
    let result;
    try {
      result = this._authenticationCallback(this);
    } catch (error) {
      this._authenticationFailed(error);
      return;
    }
    if (typeof result?.then !== 'function') {
      // The gem's contract: the callback calls markAuthenticated() itself.
      if (!this._authenticated && !this._warnedNoPromise) {
        this._warnedNoPromise = true;
        this._warn('myxi: the authentication callback returned no promise, so subscriptions wait until it calls '
          + 'connection.markAuthenticated(). Return the promise of its sendAction(...) instead.');
      }
      return;
    }
    result.then(
      () => socket === this._socket && this._authenticating && this.markAuthenticated(),
      (error) => socket === this._socket && this._authenticating && this._authenticationFailed(error),
    );
  }

  // Refusals (the server said no, or the app's error says retryable: false) are final on this
  // socket; failures (no token today, no answer, a server error) are retried with backoff.
  _authenticationFailed(error) {
    this._authenticating = false;
    const retryable = isRetryable(error);
    if (!retryable) {
      this._setState('connected');
      this._emit('AuthenticationFailed', error, { retryable, delayMs: null });
      this._rejectReadyWaiters(error);
      return;
    }
    if (error?.code === 'Timeout' || error?.code === 'Disconnected') {
      // No answer from the server: rather than wait on a socket that may be dead, start over.
      this._emit('AuthenticationFailed', error, { retryable, delayMs: null });
      if (error.code === 'Timeout' && this._socket) this._dropSocket(1000, 'authentication timed out');
      return;
    }
    const socket = this._socket;
    const delayMs = reconnectDelay(++this._authenticationAttempt, this.reconnectOptions);
    this._timers.authentication = setTimeout(() => {
      this._timers.authentication = null;
      if (socket === this._socket && this._open && !this._authenticated) this._authenticate();
    }, delayMs);
    this._emit('AuthenticationFailed', error, { retryable, delayMs });
  }

  // --- frames ---

  _handleMessage(data) {
    this._lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      this._debug('dropped a frame that is not JSON', { data });
      return;
    }
    if (!frame || typeof frame !== 'object' || typeof frame.event !== 'string') {
      this._debug('dropped a frame without an event name', { data });
      return;
    }
    const { event, payload } = frame;
    // An application event: never a reply or a control frame, whatever its name.
    if (frame.mq) {
      this._deliverEvent(frame);
      this._emit(event, payload, frame);
      return;
    }
    const pending = this._settleAction(frame);
    const isError = event === 'Error' || event === 'InternalError';
    const late = frame.tag !== undefined && !pending && this._expiredTags.delete(frame.tag);
    if (frame.tag !== undefined && !pending) {
      this._debug(late ? 'a reply after its action timed out' : 'a reply with an unknown tag', { frame });
    }
    if (frame.tag === undefined || (pending && !pending.internal)) this._handleControlFrame(frame, pending);
    // Error replies went to whoever waited for them (a late one to an action that got Timeout);
    // only the others are connection events.
    if (isError && (pending || late)) return;
    this._emit(event, payload, frame);
    if (isError) this._unhandled(actionError(payload?.error ?? event, pending?.name ?? 'unknown', frame));
    if (event === 'AuthenticationExpired' && frame.tag === undefined && this._socket) {
      // The runnable server's token ran out: it is about to revoke what it no longer allows.
      // Start over instead, so the callback fetches a fresh token and every subscription is sent
      // again; frames still arriving on the old socket are ignored.
      this._dropSocket(1000, 'authentication expired');
    }
  }

  _handleControlFrame(frame, pending) {
    const { event, payload } = frame;
    if (event === 'Welcome' && !pending) {
      this.sessionId = payload?.id ?? null;
    } else if (event === 'Unsubscribed' && (!pending || pending.name === 'Unsubscribe')) {
      const { exchange, exchange_name: exchangeName, routing_key: routingKey } = payload ?? {};
      const shared = this._subscriptions.get(subscriptionKey(exchange ?? exchangeName, routingKey));
      if (!shared?.revoked(payload, frame)) this._debug('Unsubscribed for no live subscription', { frame });
    } else if (event === 'MissedEvents' && !pending) {
      for (const shared of [...this._subscriptions.values()]) shared.missedEvents(payload, frame);
    }
  }

  _deliverEvent(frame) {
    const { e: exchange, rk: routingKey } = frame.mq;
    const shared = this._subscriptions.get(subscriptionKey(exchange, routingKey));
    if (shared && shared.handles.size > 0) shared.deliver(frame);
    else this._debug('an event for no subscription', { frame });
  }

  _settleAction(frame) {
    const pending = frame.tag === undefined ? undefined : this._pendingActions.get(frame.tag);
    if (!pending) return undefined;
    // Only the first reply settles; further replies to the same tag (e.g. one per routing key) are
    // still emitted as events.
    this._pendingActions.delete(frame.tag);
    clearTimeout(pending.timer);
    if (frame.event === 'Error' || frame.event === 'InternalError') {
      pending.reject(actionError(frame.payload?.error ?? frame.event, pending.name, frame));
    } else {
      pending.resolve(frame);
    }
    return pending;
  }

  // --- helpers ---

  _setState(state) {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    this._emit('state', state, previous);
  }

  _rejectReadyWaiters(error) {
    for (const waiter of this._readyWaiters.splice(0)) waiter.reject(error);
  }

  // Errors nobody waits or listens for: the `error` event, or a warning when it has no listener.
  _unhandled(error) {
    if (this.listenerCount('error') > 0) this._emit('error', error);
    else this._warn(`myxi: unhandled ${error.code} (listen to the connection's 'error' event)`, error);
  }

  _debug(message, details = {}) {
    this._emit('debug', { message, ...details });
  }

  _warn(...args) {
    try {
      this._logger?.warn?.(...args);
    } catch {
      // A broken logger must not break the client.
    }
  }

  _clearTimer(name) {
    clearTimeout(this._timers[name]);
    this._timers[name] = null;
  }

  _forget(shared) {
    if (this._subscriptions.get(shared.key) === shared) this._subscriptions.delete(shared.key);
  }
}

function closeQuietly(socket, code, reason) {
  try {
    socket.close(code, reason);
  } catch {
    // Already closing, or an implementation that refuses the code: the socket is given up anyway.
  }
}

export { Connection, Subscription, MyxiError, reconnectDelay, CLOSE_CODE_EVENTS };
