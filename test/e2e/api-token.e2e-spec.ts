import type { RunView } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

const API_TOKEN = 'api-token-for-the-e2e-0123456789';
const METRICS_TOKEN = 'metrics-token-for-the-e2e-98765';
const CHALLENGE = 'Bearer realm="ordered-pipeline"';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function call(method: string, url: string, token?: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The CLI as a real process; its output piped. */
function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [resolve('bin/ordered-pipeline.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise<{ code: number | null; out: string }>((done) =>
    child.once('close', (code) => done({ code, out })),
  );
}

describe('API_TOKEN and METRICS_TOKEN', () => {
  let sut: TestSystem;
  const logged: string[] = [];
  let runId = '';

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    sut = await startTestSystem({ API_TOKEN, METRICS_TOKEN }, undefined, { pino: logger });
    const created = await call('POST', `${sut.baseUrl}/runs`, API_TOKEN, {
      connection_count: 2,
      connection_value: 5,
      delay_range: 0,
      wait: 'saved',
    });
    expect(created.status).toBe(201);
    runId = (JSON.parse(created.text) as RunView).runId;
  });

  afterAll(async () => {
    await sut?.close();
  });

  const runRoutes = (): [string, string][] => [
    ['GET', '/runs'],
    ['POST', '/runs'],
    ['GET', '/?connection_count=1&connection_value=1'],
    ['HEAD', '/'],
    ['GET', `/runs/${runId}`],
    ['DELETE', `/runs/${runId}`],
    ['GET', `/runs/${runId}/events`],
    ['GET', `/runs/${runId}/report`],
    ['GET', `/runs/${runId}/report.json`],
  ];

  it('answers every run route 401 with a Bearer challenge without the token, starting nothing', async () => {
    for (const [method, path] of runRoutes()) {
      const answer = await call(method, `${sut.baseUrl}${path}`);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 401 });
      expect(answer.headers.get('www-authenticate')).toBe(CHALLENGE);
      if (method !== 'HEAD') expect(answer.text).toContain('Authorization: Bearer <API_TOKEN>');
    }
    const runs = await call('GET', `${sut.baseUrl}/runs`, API_TOKEN);
    expect((JSON.parse(runs.text) as { total: number }).total).toBe(1);
  });

  it('answers a wrong token 401 with invalid_token, never naming the secret', async () => {
    for (const wrong of ['not-the-token', `${API_TOKEN}x`, METRICS_TOKEN]) {
      const answer = await call('GET', `${sut.baseUrl}/runs`, wrong);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe(`${CHALLENGE}, error="invalid_token"`);
      expect(answer.text).not.toContain(API_TOKEN);
    }
  });

  it('serves the run routes with the token, in a header or (for a browser) the query', async () => {
    expect((await call('GET', `${sut.baseUrl}/runs/${runId}`, API_TOKEN)).status).toBe(200);
    expect(
      (await call('GET', `${sut.baseUrl}/runs?limit=5&access_token=${API_TOKEN}`)).status,
    ).toBe(200);
    // The report page hands the token on to the data it reads.
    const page = await call('GET', `${sut.baseUrl}/runs/${runId}/report?access_token=${API_TOKEN}`);
    expect(page.status).toBe(200);
    const dataUrl = /data-report-url="([^"]+)"/.exec(page.text)?.[1] ?? '';
    expect(dataUrl).toContain('access_token=');
    expect((await call('GET', `${sut.baseUrl}${dataUrl.replaceAll('&amp;', '&')}`)).status).toBe(
      200,
    );
    // Its scripts hold no run data: open.
    expect((await call('GET', `${sut.baseUrl}/report-assets/report.js`)).status).toBe(200);
  });

  it('keeps health open and /metrics behind METRICS_TOKEN', async () => {
    expect((await call('GET', `${sut.baseUrl}/health/live`)).status).toBe(200);
    expect((await call('GET', `${sut.baseUrl}/health/ready`)).status).toBe(200);
    expect((await call('GET', `${sut.baseUrl}/metrics`)).status).toBe(401);
    expect((await call('GET', `${sut.baseUrl}/metrics`, API_TOKEN)).status).toBe(401);
    const metrics = await call('GET', `${sut.baseUrl}/metrics`, METRICS_TOKEN);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('pipeline_runs_total');
  });

  it('declares the bearer scheme in the OpenAPI document on the routes that ask for it', async () => {
    const document = JSON.parse((await call('GET', `${sut.baseUrl}/docs-json`)).text) as {
      components: { securitySchemes?: Record<string, { scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(document.components.securitySchemes?.bearer.scheme).toBe('bearer');
    expect(document.paths['/runs'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/runs/{runId}/events'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/metrics'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/health/live'].get.security).toBeUndefined();
  });

  it('never writes a token into the log', () => {
    const text = logged.join('');
    expect(text).toContain('access_token=***');
    expect(text).not.toContain(API_TOKEN);
    expect(text).not.toContain(METRICS_TOKEN);
  });

  it('lets the CLI in with --token or ORDERED_PIPELINE_TOKEN, and says 401 without', async () => {
    const args = ['run', '--url', sut.baseUrl, '-c', '2', '-n', '3', '-d', '0'];
    const denied = await cli(args);
    expect(denied.code).toBe(1);
    expect(denied.out).toContain('answered 401');
    const withFlag = await cli([...args, '--token', API_TOKEN]);
    expect({ code: withFlag.code, out: withFlag.out }).toMatchObject({ code: 0 });
    const withEnv = await cli(['runs', '--url', sut.baseUrl], {
      ORDERED_PIPELINE_TOKEN: API_TOKEN,
    });
    expect(withEnv.code).toBe(0);
    expect(withEnv.out).toContain(runId);
  });
});
