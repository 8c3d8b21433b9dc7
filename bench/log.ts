import { performance } from 'node:perf_hooks';

/** Progress on stderr, so that stdout carries only the report. */
export class Log {
  private readonly started = performance.now();

  step(text: string): void {
    process.stderr.write(`[${this.clock()}] ${text}\n`);
  }

  detail(text: string): void {
    process.stderr.write(`[${this.clock()}]   ${text}\n`);
  }

  private clock(): string {
    const seconds = Math.round((performance.now() - this.started) / 1000);
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  }
}
