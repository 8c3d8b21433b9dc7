import type { RunView } from '../../src/common/contracts/http.js';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { METHOD_NOT_ALLOWED } from '../../src/client/openapi.js';
import { send } from '../support/http.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

interface Answer {
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, unknown>;
}
interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema?: { default?: unknown } }[];
  requestBody?: unknown;
  responses: Record<string, Answer>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<
      string,
      { properties: Record<string, { default?: unknown }>; required?: string[] }
    >;
    responses?: Record<string, Answer>;
  };
};

const run = promisify(execFile);

/** Runs a tool of node_modules with this Node; its output, whatever its exit code. */
async function tool(
  script: string,
  args: string[],
  cwd = process.cwd(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    // Redocly CLI: no usage report to its makers, no version check.
    REDOCLY_TELEMETRY: 'off',
    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [resolve(script), ...args], {
      cwd,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/** `/runs/{runId}` → `/runs/:runId`, as Fastify names it. */
const fastifyPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

describe('OpenAPI document at /docs-json', () => {
  let sut: TestSystem;
  let document: Document;
  /** Under node_modules, so that a script there finds the project's packages. */
  let scratch: string;
  let documentFile: string;

  beforeAll(async () => {
    sut = await startTestSystem();
    document = (await send<Document>('GET', `${sut.baseUrl}/docs-json`)).body;
    await mkdir('node_modules/.cache', { recursive: true });
    scratch = await mkdtemp(resolve('node_modules/.cache/openapi-e2e-'));
    documentFile = join(scratch, 'openapi.json');
    await writeFile(documentFile, JSON.stringify(document, null, 2));
  });

  afterAll(async () => {
    await sut?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('passes Redocly lint (recommended rules): no error, only the warnings redocly.yaml keeps', async () => {
    const lint = await tool('node_modules/@redocly/cli/bin/cli.js', [
      'lint',
      documentFile,
      '--config',
      resolve('redocly.yaml'),
      '--format',
      'json',
    ]);
    const { totals, problems } = JSON.parse(lint.stdout) as {
      totals: { errors: number; warnings: number };
      problems: LintProblem[];
    };
    const found = problems.map(({ ruleId, severity, location }) => ({
      ruleId,
      severity,
      at: location[0]?.pointer,
    }));
    expect(found.filter(({ severity }) => severity === 'error')).toEqual([]);
    expect({ totals, code: lint.code }).toEqual({
      totals: expect.objectContaining({ errors: 0, warnings: 5 }),
      code: 0,
    });
    // The warnings kept, each explained in redocly.yaml; any other fails here.
    expect(found.sort((a, b) => a.at.localeCompare(b.at))).toEqual([
      {
        ruleId: 'no-unused-components',
        severity: 'warn',
        at: `#/components/responses/${METHOD_NOT_ALLOWED}`,
      },
      { ruleId: 'operation-4xx-response', severity: 'warn', at: '#/paths/~1/head/responses' },
      {
        ruleId: 'operation-4xx-response',
        severity: 'warn',
        at: '#/paths/~1health~1live/get/responses',
      },
      {
        ruleId: 'operation-4xx-response',
        severity: 'warn',
        at: '#/paths/~1health~1ready/get/responses',
      },
      { ruleId: 'operation-4xx-response', severity: 'warn', at: '#/paths/~1metrics/get/responses' },
    ]);
  });

  it('gives a generated client (openapi-typescript + openapi-fetch) that type-checks and drives runs', async () => {
    const generated = await tool('node_modules/openapi-typescript/bin/cli.js', [
      documentFile,
      '--output',
      join(scratch, 'api.d.ts'),
    ]);
    expect({ code: generated.code, stderr: generated.stderr }).toMatchObject({ code: 0 });
    await copyFile('test/openapi-client/use-runs.ts', join(scratch, 'use-runs.ts'));
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noUnusedLocals: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['use-runs.ts'],
      }),
    );
    // Type errors (an `@ts-expect-error` that is not one included) fail here, before it runs.
    const compiled = await tool('node_modules/typescript/bin/tsc', ['-p', scratch]);
    expect({ code: compiled.code, errors: compiled.stdout }).toEqual({ code: 0, errors: '' });

    const used = await tool(join(scratch, 'use-runs.js'), [sut.baseUrl]);
    expect({ code: used.code, stderr: used.stderr }).toEqual({ code: 0, stderr: '' });
    const seen = JSON.parse(used.stdout) as {
      started: { status: number; location: string; runId: string; total: number };
      listed: { runIds: string[] };
    };
    expect(seen).toMatchObject({
      // `{"wait":"none"}` alone: the defaults, 10 × 10 tasks with delay_range 5.
      started: { status: 202, total: 100, delayRange: 5 },
      legacy: { status: 200, state: 'completed', total: 20 },
      cancelled: { status: 200, state: 'cancelled' },
      followed: { state: 'completed', written: 100 },
      listed: { limit: 5 },
      report: { tasks: 100, acked: 100, released: 100 },
      unknown: { status: 404, error: 'Not Found' },
    });
    expect(seen.started.location).toBe(`/runs/${seen.started.runId}`);
    expect(seen.listed.runIds).toContain(seen.started.runId);
  });

  it('is a valid OpenAPI document', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('lists exactly the routes the app serves (HEAD routes Fastify adds and the document itself aside)', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${fastifyPath(path)}`),
      )
      .sort();
    const served = sut.system.routes.all
      .filter(({ url }) => !url.startsWith('/docs'))
      // Fastify answers HEAD on every GET route by itself; only an explicit one is documented.
      .filter(({ method, url }) => method !== 'HEAD' || url === '/')
      .map(({ method, url }) => `${method} ${url}`)
      .sort();
    expect(documented).toEqual([...new Set(served)]);
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /runs',
        'GET /runs',
        'DELETE /runs/:runId',
        'GET /health/ready',
      ]),
    );
  });

  it('documents every answer with its media type and a schema, errors as JSON in one shape', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (method === 'head') continue;
        for (const [status, answer] of Object.entries(operation.responses)) {
          const route = `${method} ${path} ${status}`;
          if (status === '204') {
            expect({ route, content: answer.content }).toEqual({ route, content: undefined });
            continue;
          }
          const schema = answer.content && Object.values(answer.content)[0]?.schema;
          expect({ route, schema }).toEqual({ route, schema: expect.anything() });
          // Health answers 503 in its own (terminus') shape, which names the checks that are down.
          if (Number(status) >= 400 && !path.startsWith('/health/'))
            expect({ route, content: answer.content }).toEqual({
              route,
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/HttpErrorDto' } },
              },
            });
        }
      }
    }
    const start = document.paths['/runs'].post;
    expect(Object.keys(start.responses).sort()).toEqual(['201', '202', '400', '429', '503']);
    expect(start.requestBody).toBeDefined();
    const legacy = document.paths['/'].get;
    expect(legacy.parameters?.map((parameter) => parameter.name).sort()).toEqual([
      'connection_count',
      'connection_value',
      'delay_range',
      'wait',
    ]);
  });

  it('makes the start fields optional, with their defaults', () => {
    const defaults = { connection_count: 10, connection_value: 10, delay_range: 5, wait: 'acked' };
    const requestBody = document.paths['/runs'].post.requestBody as {
      required: boolean;
      content: { 'application/json': { schema: Document['components']['schemas'][string] } };
    };
    expect(requestBody.required).toBe(false);
    const body = requestBody.content['application/json'].schema;
    expect(body.required).toBeUndefined();
    expect(
      Object.fromEntries(Object.entries(body.properties).map(([name, p]) => [name, p.default])),
    ).toEqual(defaults);
    const query = document.paths['/'].get.parameters ?? [];
    expect(query.map(({ name, required, schema }) => [name, required, schema?.default])).toEqual(
      Object.entries(defaults).map(([name, value]) => [name, false, value]),
    );
  });

  it('declares the headers that come with an answer: Location, Retry-After, Allow', () => {
    const headersOf = (path: string, method: string, status: string): string[] =>
      Object.keys(document.paths[path][method].responses[status].headers ?? {});
    expect(headersOf('/runs', 'post', '201')).toEqual(['Location']);
    expect(headersOf('/runs', 'post', '202')).toEqual(['Location']);
    expect(headersOf('/runs', 'post', '429')).toEqual(['Retry-After']);
    expect(headersOf('/', 'get', '429')).toEqual(['Retry-After']);
    expect(document.components.responses?.[METHOD_NOT_ALLOWED]?.headers).toEqual({
      Allow: { $ref: '#/components/headers/Allow' },
    });
  });

  it('describes a run with exactly the fields a run view has', async () => {
    const { body } = await send<RunView>('POST', `${sut.baseUrl}/runs`, {
      connection_count: 1,
      connection_value: 1,
      delay_range: 0,
      wait: 'saved',
    });
    const optional = ['error', 'lastError', 'resumedAt'];
    expect(Object.keys(document.components.schemas.RunViewDto.properties).sort()).toEqual(
      [...new Set([...Object.keys(body), ...optional])].sort(),
    );
  });
});
