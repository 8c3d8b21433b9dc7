/*
 * A third-party client of the runs API, written against types generated from /docs-json only
 * (`openapi-typescript` → `api.d.ts`, not in the repository) and `openapi-fetch`.
 * test/e2e/openapi.e2e-spec.ts copies it beside the generated types, type-checks it with `tsc`,
 * and runs it against a live system: `node use-runs.js <baseUrl>` prints what it saw as JSON.
 * Outside the project's tsconfig and ESLint: it cannot compile before `api.d.ts` exists.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type RunView = components['schemas']['RunViewDto'];
type StartRun = NonNullable<paths['/runs']['post']['requestBody']>['content']['application/json'];

const client = createClient<paths>({ baseUrl: process.argv[2] });

/** The type checker is part of the test: each of these must be refused by the generated types. */
export function refusedByTheTypes(): void {
  // @ts-expect-error -- not one of acked, saved, none
  void client.POST('/runs', { body: { wait: 'sometimes' } });
  // @ts-expect-error -- an integer
  void client.POST('/runs', { body: { connection_count: 'ten' } });
  // @ts-expect-error -- no such route
  void client.GET('/run/{runId}', { params: { path: { runId: 'x' } } });
  // @ts-expect-error -- the run's id is required
  void client.DELETE('/runs/{runId}', {});
}

async function start(body: StartRun): Promise<{
  run: RunView;
  status: number;
  location: string | null;
}> {
  const { data, error, response } = await client.POST('/runs', { body });
  if (!data) throw new Error(`POST /runs ${response.status}: ${JSON.stringify(error)}`);
  return { run: data, status: response.status, location: response.headers.get('location') };
}

async function get(runId: string): Promise<RunView> {
  const { data, error } = await client.GET('/runs/{runId}', { params: { path: { runId } } });
  if (!data) throw new Error(`GET /runs/${runId}: ${error.statusCode} ${String(error.message)}`);
  return data;
}

/** Follows a run with `GET /runs/{runId}` until it has ended. */
async function follow(runId: string): Promise<{ run: RunView; polls: number }> {
  for (let polls = 1; ; polls++) {
    const run = await get(runId);
    if (!['queued', 'sending', 'saving'].includes(run.state)) return { run, polls };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  // Partial bodies: every other field takes its default (10 × 10 tasks, delay_range 5).
  const followed = await start({ wait: 'none' });
  const toCancel = await start({ delay_range: 30, wait: 'none' });
  const legacy = await client.GET('/', {
    params: { query: { connection_count: 2, delay_range: 0, wait: 'saved' } },
  });

  const cancel = await client.DELETE('/runs/{runId}', {
    params: { path: { runId: toCancel.run.runId } },
  });
  const done = await follow(followed.run.runId);
  const listed = await client.GET('/runs', { params: { query: { state: 'completed', limit: 5 } } });
  const report = await client.GET('/runs/{runId}/report.json', {
    params: { path: { runId: followed.run.runId } },
  });
  const unknown = await client.GET('/runs/{runId}', {
    params: { path: { runId: '20260101T000000000Z-0001-deadbeef' } },
  });

  const seen = {
    started: {
      status: followed.status,
      location: followed.location,
      runId: followed.run.runId,
      total: followed.run.total,
      delayRange: followed.run.delayRange,
    },
    legacy: {
      status: legacy.response.status,
      state: legacy.data?.state,
      total: legacy.data?.total,
    },
    cancelled: { status: cancel.response.status, state: cancel.data?.state },
    followed: { state: done.run.state, written: done.run.written, polls: done.polls },
    listed: {
      runIds: listed.data?.runs.map((run) => run.runId),
      states: listed.data?.runs.map((run) => run.state),
      limit: listed.data?.limit,
    },
    report: {
      tasks: report.data?.summary.tasks,
      acked: report.data?.summary.ackMs.count,
      released: report.data?.saver?.released,
    },
    unknown: { status: unknown.response.status, error: unknown.error?.error },
  };
  process.stdout.write(JSON.stringify(seen));
}

await main();
