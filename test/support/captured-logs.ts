import type { LoggerService } from '@nestjs/common';

export interface LogLine {
  readonly level: string;
  readonly message: string;
}

/**
 * A Nest logger that keeps every line instead of printing it. Installed with
 * `Logger.overrideLogger(logs)`, it receives what every `Logger` of the process writes.
 */
export class CapturedLogs implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown): void {
    this.keep('log', message);
  }
  error(message: unknown): void {
    this.keep('error', message);
  }
  warn(message: unknown): void {
    this.keep('warn', message);
  }
  debug(message: unknown): void {
    this.keep('debug', message);
  }
  verbose(message: unknown): void {
    this.keep('verbose', message);
  }
  fatal(message: unknown): void {
    this.keep('fatal', message);
  }

  /** Lines at warn level or worse kept since `from` (an index into `lines`). */
  problemsSince(from: number): LogLine[] {
    return this.lines
      .slice(from)
      .filter((line) => line.level !== 'log' && line.level !== 'debug' && line.level !== 'verbose');
  }

  private keep(level: string, message: unknown): void {
    this.lines.push({
      level,
      message: message instanceof Error ? (message.stack ?? message.message) : String(message),
    });
  }
}
