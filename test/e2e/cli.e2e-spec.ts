import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { JsonSummary } from '../../src/cli/summary.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

/** The `bin` entry of package.json, as `npx ordered-pipeline` runs it (it loads dist/cli). */
const BIN = resolve('bin/ordered-pipeline.js');

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI as a real process, its output piped (no terminal: no bar, progress lines).
 * `onStderr` sees what it has written so far, each time it writes more.
 */
function cli(...args: string[]): Promise<CliResult> {
  return cliWatched(() => undefined, ...args);
}

function cliWatched(onStderr: (sofar: string) => void, ...args: string[]): Promise<CliResult> {
  if (!existsSync(resolve('dist/cli/main.js'))) throw new Error('run `npm run build` first');
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => onStderr((stderr += chunk.toString())));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

const PROGRESS_LINE =
  /^\[\d+\.\d+s\] (queued|sending|saving|completed): sent [\d,]+\/[\d,]+, acked [\d,]+, written [\d,]+ \([\d,]+\/s\), buffered [\d,]+$/;

describe('the CLI against a running system', () => {
  let sut: TestSystem;

  beforeAll(async () => {
    sut = await startTestSystem();
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('runs, prints progress lines without a terminal, a summary, and exits 0 when thresholds pass', async () => {
    const result = await cli(
      'run',
      '--url',
      sut.baseUrl,
      '-c',
      '10',
      '-n',
      '20',
      '-d',
      '1',
      '--progress-every',
      '0.2',
      '-t',
      'failed==0',
      '-t',
      'written>=200',
      '-t',
      'p99_ack_ms>=0',
    );
    expect(result.stderr).toMatch(/^run \S+: 10×20 tasks, delay_range 1 s$/m);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('['));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(PROGRESS_LINE);
    expect(lines.at(-1)).toContain('completed: sent 200/200, acked 200, written 200');
    expect(result.stdout).toMatch(/run \S+: completed/);
    expect(result.stdout).toMatch(/tasks\.+: 200 written of 200/);
    expect(result.stdout).toMatch(/ack latency\.+: p50=[\d.]+ms p90=[\d.]+ms p99=[\d.]+ms/);
    expect(result.stdout).toMatch(/reorder wait\.+: p50=[\d.]+ms/);
    expect(result.stdout).toMatch(/report\.+: http:\/\/127\.0\.0\.1:\d+\/runs\/\S+\/report/);
    expect(result.stdout).toMatch(/✓ failed==0/);
    expect(result.stdout).toMatch(/✓ written>=200/);
    expect(result.stdout).not.toContain('✗');
    expect(result.code).toBe(0);
  });

  it('exits 99 when a threshold fails, marking it ✗', async () => {
    const result = await cli(
      'run',
      '--url',
      sut.baseUrl,
      '-c',
      '5',
      '-n',
      '10',
      '-d',
      '0.2',
      '-t',
      'failed==0',
      '-t',
      'tasks_per_second>1000000000',
    );
    expect(result.stdout).toMatch(/✓ failed==0 +failed=0/);
    expect(result.stdout).toMatch(/✗ tasks_per_second>1000000000 +tasks_per_second=\d+/);
    expect(result.code).toBe(99);
  });

  it('prints the summary as JSON with --json, and watch shows a finished run at once', async () => {
    const result = await cli(
      'run',
      '--url',
      sut.baseUrl,
      '-c',
      '4',
      '-n',
      '25',
      '-d',
      '0.2',
      '--json',
      '-t',
      'duplicates<1000',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as JsonSummary;
    expect(json.summary).toMatchObject({ state: 'completed', tasks: 100, written: 100, failed: 0 });
    expect(json.metrics.tasks).toBe(100);
    expect(json.metrics.p99_ack_ms).toBe(json.summary.ackMs.p99);
    expect(json.thresholds).toEqual([
      { threshold: 'duplicates<1000', actual: json.summary.duplicates, passed: true },
    ]);
    expect(json.report).toBe(`${sut.baseUrl}/runs/${json.summary.runId}/report`);

    const watched = await cli('watch', json.summary.runId, '--url', sut.baseUrl, '--json');
    expect(watched.code).toBe(0);
    expect((JSON.parse(watched.stdout) as JsonSummary).summary.runId).toBe(json.summary.runId);
  });

  it('refuses a bad threshold with exit 2 and says why, before starting anything', async () => {
    const result = await cli('run', '--url', sut.baseUrl, '-t', 'p95_ack_ms<10');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown metric p95_ack_ms');
    expect(result.stderr).toContain('p99_ack_ms');
  });

  it('exits 2 for a run the API refuses, and 1 when the app cannot be reached', async () => {
    const refused = await cli('run', '--url', sut.baseUrl, '-c', '100000');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('connection_count');
    const unreachable = await cli('run', '--url', 'http://127.0.0.1:1');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:1');
  });

  it('answers --help for the program and each command, naming the metrics', async () => {
    for (const command of [[], ['run'], ['watch'], ['runs']]) {
      const result = await cli(...command, '--help');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: ordered-pipeline');
    }
    expect((await cli('run', '--help')).stdout).toContain('p99_reorder_wait_ms');
  });

  it('says its version with --version', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const result = await cli('--version');
    expect({ code: result.code, stdout: result.stdout.trim() }).toEqual({
      code: 0,
      stdout: version,
    });
  });
});

describe('the CLI against a client whose queue is full', () => {
  let sut: TestSystem;
  let blocking = '';

  beforeAll(async () => {
    sut = await startTestSystem({
      MAX_ACTIVE_RUNS: '1',
      MAX_QUEUED_RUNS: '0',
      REORDER_WINDOW: '50',
    });
    // A run that cannot end by itself while the test runs: it holds the only place.
    const answer = await fetch(
      `${sut.baseUrl}/?connection_count=10&connection_value=100&delay_range=60&wait=none`,
    );
    blocking = ((await answer.json()) as { runId: string }).runId;
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('gives up at once with --retry-for 0, naming the refusal', async () => {
    const result = await cli('run', '--url', sut.baseUrl, '-c', '1', '-n', '1', '--retry-for', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('answered 429');
    expect(result.stderr).toContain('MAX_QUEUED_RUNS');
  });

  it('waits as Retry-After says and starts the run once there is room', async () => {
    let freed: Promise<Response> | undefined;
    const result = await cliWatched(
      (sofar) => {
        // Told to come back later: the place is freed while the CLI waits.
        if (!freed && sofar.includes('asking again in 5 s (Retry-After)'))
          freed = fetch(`${sut.baseUrl}/runs/${blocking}`, { method: 'DELETE' });
      },
      ...['run', '--url', sut.baseUrl, '-c', '2', '-n', '5', '-d', '0', '--progress-every', '0'],
    );
    expect((await freed)?.status).toBe(200);
    expect(result.stderr).toContain('answered 429');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('completed');
  });
});

describe('the CLI runs command', () => {
  // GET /runs belongs to the operator API; a stand-in answers its page shape (RunsService.list).
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify(
          request.url === '/runs?limit=5'
            ? {
                runs: [
                  { runId: 'r-2', state: 'completed', written: 100, total: 100, elapsedMs: 1500 },
                ],
                total: 7,
              }
            : { statusCode: 404, message: `Cannot GET ${request.url}` },
        ),
      );
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  it('lists runs newest first, as a table', async () => {
    const result = await cli('runs', '--url', url, '--limit', '5');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^r-2 +completed +100\/100 +1\.5 s$/m);
    expect(result.stdout).toContain('1 of 7 run(s)');
  });
});
