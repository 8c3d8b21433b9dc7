import type { RunReport } from '../../src/common/contracts/http.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { closeAll } from '../support/close-all.js';
import { send, savedRun } from '../support/http.js';
import { startTestSystem, type TestSystem } from '../support/test-system.js';

/** Where the screenshot goes (ignored by git): look at it after the test. */
const SCREENSHOT = join('test', 'output', 'report-page.png');

describe('the report page in a real browser (Debian Chromium)', () => {
  let sut: TestSystem;
  let browser: Browser;

  beforeAll(async () => {
    // The browser first: without one, nothing is started. Each is kept as soon as it is up, so
    // afterAll closes it whatever failed after.
    browser = await launchChromium();
    sut = await startTestSystem();
  });

  afterAll(async () => {
    await closeAll(
      () => browser?.close(),
      () => sut?.close(),
    );
  });

  it('draws the four charts of a finished run with its series and points, without an error', async () => {
    const run = await savedRun(sut.baseUrl, 30, 40, 0.5);
    expect(run.state).toBe('completed');
    const { body: report } = await send<RunReport>(
      'GET',
      `${sut.baseUrl}/runs/${run.runId}/report.json`,
    );
    const saver = report.saver!;

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${sut.baseUrl}/runs/${run.runId}/report`);
    await page.waitForSelector('body[data-ready="true"]');
    const charts = await page.evaluate(() => {
      const drawn = (
        globalThis as unknown as {
          reportCharts: Record<string, { series: { label: string }[]; data: unknown[][] }>;
        }
      ).reportCharts;
      return Object.fromEntries(
        Object.entries(drawn).map(([name, chart]) => [
          name,
          {
            series: chart.series.map((s) => s.label),
            points: chart.data.map((column) => column.length),
          },
        ]),
      );
    });

    const arrivals = saver.arrivals.x.length;
    const delayBuckets = saver.delays.counts.length;
    const progress = report.progress.t.length;
    const depth = saver.timeline.t.length;
    expect(charts).toEqual({
      arrival: { series: ['place', 'arrival', 'file'], points: [arrivals, arrivals, arrivals] },
      delays: { series: ['delay from (ms)', 'results'], points: [delayBuckets, delayBuckets] },
      progress: { series: ['s', 'sent', 'acked', 'written'], points: Array(4).fill(progress) },
      buffer: { series: ['s', 'buffered'], points: [depth, depth] },
    });
    // Every result is an arrival; a duplicate is one too if it came while the file was being
    // written (one sent again after a timeout on a starved machine may come after the last line).
    expect(arrivals).toBeGreaterThanOrEqual(1200);
    expect(arrivals).toBeLessThanOrEqual(1200 + saver.duplicates);
    expect(delayBuckets).toBeGreaterThan(5);
    // Each chart is drawn: a canvas of its size inside its figure.
    expect(await page.locator('.charts canvas').count()).toBe(4);
    const summary = await page.locator('#summary').innerText();
    expect(summary).toContain('1,200 written of 1,200');
    expect(summary).toContain(`delay_range ${run.delayRange} s`);
    expect(summary).toContain(new Date(report.startedAt).toISOString());
    // Legends give the latest values without a cursor on the chart, never `--`.
    const legends = await page.locator('.u-legend .u-value').allInnerTexts();
    expect(legends.length).toBeGreaterThan(0);
    expect(legends.filter((value) => value.trim() === '--')).toEqual([]);

    expect(problems).toEqual([]);
    expect(requested.every((url) => url.startsWith(sut.baseUrl))).toBe(true);
    await mkdir(join('test', 'output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });
});
