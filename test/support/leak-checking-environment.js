import { TestEnvironment } from 'jest-environment-node';
import { ChildProcess } from 'node:child_process';
import { Server, Socket } from 'node:net';

/** How long a test file's handles may take to close after its last afterAll hook. */
const GRACE_MS = 5_000;

/**
 * Jest's node environment, plus a check that each test file closed what it opened. Jest has no
 * option that fails a run on open handles (`--detectOpenHandles` only reports them, after the
 * run); a test file that leaves a server, a socket or a child process behind makes Jest wait for
 * it forever ("Jest did not exit one second after the test run has completed"). Here, after the
 * file's afterAll hooks, every handle that was not open before the file started must close within
 * GRACE_MS; what is still open then is named, closed or killed, and the file fails with it.
 * (jest.config.js also sets `forceExit`, for what this cannot see, such as a timer.)
 */
export default class LeakCheckingEnvironment extends TestEnvironment {
  /** @type {Set<unknown>} */
  #before = new Set();
  /** @type {string} */
  #testPath;

  constructor(config, context) {
    super(config, context);
    this.#testPath = context.testPath;
  }

  async setup() {
    this.#before = new Set(process._getActiveHandles());
    await super.setup();
  }

  /**
   * After the file's last afterAll hook (circus's `run_finish`): the leak joins the file's errors,
   * so its tests' own failures are reported too.
   */
  async handleTestEvent(event, state) {
    if (event.name !== 'run_finish') return;
    const deadline = Date.now() + GRACE_MS;
    let left = this.#opened();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = this.#opened();
    }
    if (left.length === 0) return;
    const described = left.map(describe);
    for (const handle of left) release(handle);
    state.unhandledErrors.push(
      new Error(
        `${this.#testPath} left open after its afterAll hooks (closed now):\n` +
          described.map((line) => `  - ${line}`).join('\n') +
          '\nClose everything a suite opens in afterAll, also when beforeAll or a test failed.',
      ),
    );
  }

  /** Handles opened since the file started, bar the process's own standard streams. */
  #opened() {
    const std = new Set([process.stdin, process.stdout, process.stderr]);
    return process
      ._getActiveHandles()
      .filter((handle) => !this.#before.has(handle) && !std.has(handle));
  }
}

function describe(handle) {
  if (handle instanceof ChildProcess)
    return `child process ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 200)}`;
  if (handle instanceof Server) {
    const address = handle.address();
    return `server listening on ${typeof address === 'string' ? address : `${address?.address}:${address?.port}`}`;
  }
  if (handle instanceof Socket)
    return handle.remotePort
      ? `socket ${handle.localAddress}:${handle.localPort} → ${handle.remoteAddress}:${handle.remotePort}`
      : `${handle._handle?.constructor?.name === 'Pipe' ? 'pipe' : 'socket'} (not connected, or half-closed)`;
  return `handle ${handle?.constructor?.name ?? typeof handle}`;
}

function release(handle) {
  if (handle instanceof ChildProcess) handle.kill('SIGKILL');
  else if (handle instanceof Server) handle.close();
  else if (typeof handle?.destroy === 'function') handle.destroy();
  else if (typeof handle?.close === 'function') handle.close();
}
