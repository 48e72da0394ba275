// A typed user of the package, checked by `tsc --noEmit -p test/types` (test/types.test.mjs): it
// imports the package by name, as an application would, and uses every public part of the API.
import { CLOSE_CODE_EVENTS, Connection, MyxiError, Subscription, reconnectDelay } from 'myxi-js';
import type { ConnectionState, Frame, SubscriptionState } from 'myxi-js';

const connection = new Connection(['wss://a.example.com/ws/', new URL('wss://b.example.com/ws/')], {
  autoConnect: false,
  authentication: (conn) => conn.sendAction('Authenticate', { token: 'alice-token' }),
  reconnect: { baseMs: 250, capMs: 2000, maxAttempts: 10, resetAfterMs: 5000 },
  heartbeat: { intervalMs: 25000, timeoutMs: 10000 },
  connectTimeoutMs: 5000,
  actionTimeoutMs: 5000,
  logger: null,
});
new Connection('ws://localhost:5005/', { heartbeat: false, logger: console });

connection.connect().authentication(null);
const ready: Promise<Connection> = connection.ready();
const state: ConnectionState = connection.state;
const url: string = connection.url;
const session: string | null = connection.sessionId;
const flags: boolean[] = [connection.isConnected(), connection.isAuthenticated()];
connection.markAuthenticated();

connection.on('state', (now, previous) => console.log(now satisfies ConnectionState, previous));
connection.on('SocketDisconnected', ({ code, reason }) => console.log(code.toFixed(), reason.toUpperCase()));
connection.on('GoingAway', (info) => console.log(info.code));
connection.on('Reconnecting', ({ attempt, delayMs }) => console.log(attempt + delayMs));
connection.once('ReconnectFailed', ({ attempts }) => console.log(attempts));
connection.on('AuthenticationFailed', (error, { retryable, delayMs }) => console.log(error, retryable, delayMs ?? 0));
connection.on('MissedEvents', ({ from, to }) => console.log(to - from));
connection.on('error', (error) => console.log(error.code, error.retryable, error.payload));
connection.on('debug', ({ message }) => console.log(message));
connection.on('Welcome', (payload, frame) => console.log(payload.id, frame.event));
connection.off('state');
const listeners: number = connection.listenerCount('state');

async function actions(): Promise<void> {
  try {
    const reply: Frame<{ time: number }> = await connection.sendAction<{ time: number }>('SayHello');
    console.log(reply.payload.time, reply.tag);
  } catch (error) {
    if (error instanceof MyxiError) console.log(error.code, error.action, error.frame?.event);
  }
}

const widget: Subscription = connection.subscribe('widgets', 1234);
widget.on('Subscribed', () => console.log(widget.exchange, widget.routingKey, widget.key));
widget.on<{ name: string }>('WidgetUpdated', (payload, frame) => console.log(payload.name, frame.mq?.rk));
widget.on('SubscriptionDenied', (payload) => console.log(payload));
widget.on('Retrying', ({ error, attempt, delayMs }) => console.log(error.code, attempt, delayMs));
widget.on('*', (payload, frame) => console.log(frame.event, payload));
const subscriptionState: SubscriptionState = widget.state;
const live: boolean = widget.subscribed;
const last: { o: number; t: string } | null = widget.position;
widget.on('Recovered', (payload) => console.log(payload.recovered, last?.o));
widget.on('NotRecovered', ({ reason, routing_key }) => console.log(reason.toUpperCase(), routing_key));
const done: Promise<void> = widget.unsubscribe();
const all: Subscription[] = connection.subscriptions();
connection.disconnect();

const error = new MyxiError('Timeout', 'no reply', { action: 'SayHello', retryable: true });
const delay: number = reconnectDelay(3, { baseMs: 500, capMs: 1000 }, () => 0.5);
const goingAway: 'GoingAway' = CLOSE_CODE_EVENTS[1001];

// @ts-expect-error: not a state
const wrongState: ConnectionState = 'open';
// @ts-expect-error: subscribe needs a routing key
connection.subscribe('widgets');
// @ts-expect-error: Reconnecting's argument has no `code`
connection.on('Reconnecting', (info) => console.log(info.code));

export { actions, all, delay, done, error, flags, goingAway, listeners, live, ready, session, state, subscriptionState, url, wrongState };
