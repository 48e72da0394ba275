// Starts Java processes (example nodes, the runnable server) for browser tests and stops them by
// PID, with every wait bounded.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `java ...args` and resolves once a line of its output matches readyPattern.
 * The result's stop() sends SIGTERM (graceful drain), then SIGKILL after 20 s.
 */
export function startJava({ args, env = {}, cwd, readyPattern, readyTimeoutMs = 60000 }) {
  const child = spawn('java', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`java ${args.join(' ')} not ready within ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
    const onData = (chunk) => {
      output += chunk;
      if (readyPattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`java ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  const handle = {
    pid: child.pid,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20000);
      const result = await exited;
      clearTimeout(killer);
      return result;
    },
  };
  return ready.then(() => handle, async (error) => {
    await handle.stop();
    throw error;
  });
}
