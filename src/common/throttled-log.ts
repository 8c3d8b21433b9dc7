import type { Logger } from '@nestjs/common';

/**
 * Logs a repeated failure at most once per interval, with how many happened since the last line,
 * so that a peer going away for a second does not write thousands of lines.
 */
export class ThrottledLog {
  private count = 0;
  private lastAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly level: 'warn' | 'error',
    private readonly intervalMs = 1000,
  ) {}

  report(message: string): void {
    this.count++;
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) return;
    const also = this.count > 1 ? ` (${this.count} like this since the last report)` : '';
    this.logger[this.level](`${message}${also}`);
    this.count = 0;
    this.lastAt = now;
  }
}
