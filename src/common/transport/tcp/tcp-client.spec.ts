import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { CapturedLogs } from '../../../../test/support/captured-logs.js';
import { ThrottledTcpClient } from './tcp-client.js';

describe('ThrottledTcpClient', () => {
  afterEach(() => {
    Logger.overrideLogger(new Logger());
  });

  it('logs the connection errors of every client through one throttle, naming the peer and the reason', () => {
    const logs = new CapturedLogs();
    Logger.overrideLogger(logs);
    const clients = Array.from(
      { length: 1000 },
      () => new ThrottledTcpClient({ host: '127.0.0.1', port: 5001 }),
    );
    // What a server that stops does to a run of a thousand connections: each is reset.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    for (const client of clients) client.handleError(reset);

    // One line a second at most: a slow machine may cross one second boundary.
    expect(logs.lines.length).toBeGreaterThanOrEqual(1);
    expect(logs.lines.length).toBeLessThanOrEqual(2);
    expect(logs.lines[0]).toMatchObject({ level: 'warn' });
    expect(logs.lines[0].message).toContain('127.0.0.1:5001');
    expect(logs.lines[0].message).toContain('ECONNRESET');
  });
});
