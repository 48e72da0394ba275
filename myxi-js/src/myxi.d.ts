// Type declarations for myxi.js (src/myxi.js), written by hand to match it; see docs/client.md.
// test/types/usage.ts uses every part of this API and `npm run test:types` checks it with tsc.

/** A frame from the server. App events carry `mq`; replies to actions carry the action's `tag`. */
export interface Frame<P = any> {
  event: string;
  payload: P;
  tag?: unknown;
  mq?: { e: string; rk: string };
}

/** The payload of a close-code event and of `SocketDisconnected`. */
export interface CloseInfo {
  code: number;
  reason: string;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'authenticating' | 'ready';

export type SubscriptionState = 'pending' | 'subscribing' | 'subscribed' | 'closed';

/** Close codes the server uses on purpose, each surfaced as an event of its own. */
export declare const CLOSE_CODE_EVENTS: Readonly<{
  1001: 'GoingAway';
  1009: 'MessageTooBig';
  4001: 'SlowConsumer';
  4002: 'RateLimited';
  4003: 'AuthenticationTimeout';
  4004: 'TooManyConnections';
}>;

export type CloseCodeEvent = (typeof CLOSE_CODE_EVENTS)[keyof typeof CLOSE_CODE_EVENTS];

export interface ReconnectOptions {
  /** Backoff base: the first reconnect waits up to this long (ms). Default 500. */
  baseMs?: number;
  /** The longest wait between two attempts (ms). Default 1000. */
  capMs?: number;
  /** Consecutive failed attempts before giving up (0: never reconnect). Default Infinity. */
  maxAttempts?: number;
  /** How long a connection must stay open for the backoff to start over (ms). Default 5000. */
  resetAfterMs?: number;
}

export interface HeartbeatOptions {
  /** A Ping after this long without any frame from the server (ms). Default 25000. */
  intervalMs?: number;
  /** No frame within this long after that Ping: the socket is dropped (ms). Default 10000. */
  timeoutMs?: number;
}

/**
 * Runs after every connect. Return the promise of `connection.sendAction('Authenticate', ...)`:
 * subscriptions are sent once it resolves. Returning nothing means the callback calls
 * `markAuthenticated()` itself (the gem's contract).
 */
export type AuthenticationCallback = (connection: Connection) => PromiseLike<unknown> | void;

/** The environment the client watches for online/offline/visibilitychange (tests pass fakes). */
export interface ClientEnvironment {
  window?: { addEventListener(type: string, listener: (...args: any[]) => void): void; removeEventListener(type: string, listener: (...args: any[]) => void): void } | null;
  document?: { visibilityState?: string; addEventListener(type: string, listener: (...args: any[]) => void): void; removeEventListener(type: string, listener: (...args: any[]) => void): void } | null;
  navigator?: { onLine?: boolean } | null;
}

/** The subset of the WebSocket constructor the client uses (the browser's, or the `ws` package's). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => any;

export interface ConnectionOptions {
  authentication?: AuthenticationCallback | null;
  /** false: do nothing until connect(). Default true. */
  autoConnect?: boolean;
  reconnect?: ReconnectOptions;
  /** false turns the heartbeat off. */
  heartbeat?: HeartbeatOptions | false;
  /** A socket not open within this long is given up and tried again (ms). Default 10000. */
  connectTimeoutMs?: number;
  /** How long sendAction waits for a reply (ms). Default 10000. */
  actionTimeoutMs?: number;
  /** Where warnings go; null silences them. Default console. */
  logger?: { warn(...args: unknown[]): void } | null;
  WebSocket?: WebSocketConstructor;
  environment?: ClientEnvironment;
}

export interface MyxiErrorOptions {
  payload?: unknown;
  frame?: Frame;
  action?: string;
  retryable?: boolean;
}

/** Every error the client produces: `code` names it, `retryable` tells whether trying again later may succeed. */
export declare class MyxiError extends Error {
  constructor(code: string, message?: string, options?: MyxiErrorOptions);
  readonly name: 'MyxiError';
  /** The server's error code (e.g. SubscriptionDenied, RateLimited), or Timeout, Disconnected, InternalError. */
  code: string;
  retryable: boolean;
  payload: any;
  frame: Frame | undefined;
  action: string | undefined;
}

type Listener<This, Args extends unknown[]> = (this: This, ...args: Args) => void;

/** Events of a connection, with the arguments their listeners get. */
export interface ConnectionEvents {
  state: [state: ConnectionState, previous: ConnectionState];
  SocketConnected: [];
  SocketAuthenticated: [];
  AuthenticationFailed: [error: unknown, details: { retryable: boolean; delayMs: number | null }];
  AuthenticationExpired: [payload: any, frame: Frame];
  SocketDisconnected: [info: CloseInfo];
  GoingAway: [info: CloseInfo];
  MessageTooBig: [info: CloseInfo];
  SlowConsumer: [info: CloseInfo];
  RateLimited: [info: CloseInfo];
  AuthenticationTimeout: [info: CloseInfo];
  TooManyConnections: [info: CloseInfo];
  Reconnecting: [info: { attempt: number; delayMs: number }];
  ReconnectFailed: [info: { attempts: number }];
  Online: [];
  Offline: [];
  MissedEvents: [payload: { from: number; to: number; reason: string }, frame: Frame];
  Error: [payload: any, frame: Frame];
  error: [error: MyxiError];
  debug: [details: { message: string; [detail: string]: unknown }];
}

/** Events of a subscription handle; any other name is an app event `(payload, frame)`. */
export interface SubscriptionEvents {
  Subscribed: [payload: any, frame: Frame | undefined];
  Unsubscribed: [payload: any, frame: Frame | undefined];
  SubscriptionDenied: [payload: any, frame: Frame];
  Error: [payload: any, frame: Frame];
  Retrying: [info: { error: MyxiError; attempt: number; delayMs: number }];
  MissedEvents: [payload: { from: number; to: number; reason: string }, frame: Frame];
  /** History: what was missed since the last position was replayed (before this), exactly once. */
  Recovered: [payload: any, frame: Frame];
  /** History: what was missed cannot be replayed (reload); then live from the new position. */
  NotRecovered: [details: { exchange: string; routing_key: string; reason: 'too_old' | 'epoch' | 'no_history' | 'unavailable' | string }, frame: Frame];
  /** Every app event of this subscription. */
  '*': [payload: any, frame: Frame];
}

export declare class Connection {
  constructor(urls: string | URL | Array<string | URL>, options?: ConnectionOptions);

  readonly urls: string[];
  /** The URL of the current (or next) socket. */
  readonly url: string;
  state: ConnectionState;
  /** The id from the server's Welcome on the current socket, or null. */
  sessionId: string | null;
  reconnectOptions: Required<ReconnectOptions>;
  heartbeatOptions: Required<HeartbeatOptions> | null;
  actionTimeoutMs: number;
  connectTimeoutMs: number;

  connect(): this;
  disconnect(): void;
  /** Resolves once the connection is open and authenticated. */
  ready(): Promise<this>;
  authentication(callback: AuthenticationCallback | null): this;
  isConnected(): boolean;
  isAuthenticated(): boolean;
  markAuthenticated(): void;
  /** Resolves with the reply frame; rejects with a MyxiError (the server's error, Timeout, Disconnected). */
  sendAction<P = any>(name: string, payload?: Record<string, unknown>): Promise<Frame<P>>;
  subscribe(exchange: string | number, routingKey: string | number): Subscription;
  subscriptions(): Subscription[];

  on<E extends keyof ConnectionEvents>(event: E, callback: Listener<this, ConnectionEvents[E]>): this;
  on(event: string, callback: Listener<this, [payload: any, frame: Frame]>): this;
  once<E extends keyof ConnectionEvents>(event: E, callback: Listener<this, ConnectionEvents[E]>): this;
  once(event: string, callback: Listener<this, [payload: any, frame: Frame]>): this;
  off(event: string, callback?: (...args: any[]) => void): this;
  listenerCount(event: string): number;
}

/** A position on an exchange with history: the event's offset in the stream and its tag (docs/delivery.md). */
export interface Position {
  o: number;
  t: string;
}

export declare class Subscription {
  private constructor();
  readonly connection: Connection;
  readonly exchange: string;
  readonly routingKey: string;
  readonly key: string;
  readonly state: SubscriptionState;
  readonly subscribed: boolean;
  /** On an exchange with history: the last position seen (sent back on every resubscribe), or null. */
  readonly position: Position | null;
  /** Stops this handle's events at once; resolves (never rejects) when the subscription is gone. */
  unsubscribe(): Promise<void>;

  on<E extends keyof SubscriptionEvents>(event: E, callback: Listener<this, SubscriptionEvents[E]>): this;
  on<P = any>(event: string, callback: Listener<this, [payload: P, frame: Frame<P>]>): this;
  once<E extends keyof SubscriptionEvents>(event: E, callback: Listener<this, SubscriptionEvents[E]>): this;
  once<P = any>(event: string, callback: Listener<this, [payload: P, frame: Frame<P>]>): this;
  off(event: string, callback?: (...args: any[]) => void): this;
  listenerCount(event: string): number;
}

/** Full jitter: attempt n (from 1) waits a random time in [0, min(capMs, baseMs * 2^(n-1))). */
export declare function reconnectDelay(attempt: number, options: { baseMs: number; capMs: number }, random?: () => number): number;
