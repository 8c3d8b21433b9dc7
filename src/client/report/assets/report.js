// The report page's script (plain browser JavaScript, no build step): reads report.json beside
// the page and draws the summary and four uPlot charts. A run that is still going is read again
// every two seconds. The charts are left on `window.reportCharts` for the browser test.
/* global uPlot */
'use strict';

const FINAL_STATES = ['completed', 'failed', 'cancelled', 'interrupted'];
const REFRESH_MS = 2000;
const COLORS = {
  arrival: '#d9480f',
  file: '#1c7ed6',
  sent: '#868e96',
  acked: '#1c7ed6',
  written: '#2b8a3e',
};

const root = document.getElementById('report');
const charts = {};
window.reportCharts = charts;

const size = () => ({
  width: Math.min(560, Math.max(320, root.clientWidth / 2 - 40)),
  height: 280,
});
const seconds = (times, startedAt) => times.map((t) => Math.max(0, (t - startedAt) / 1000));
const format = (value, digits = 0) =>
  Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });

function chartData(report) {
  const saver = report.saver;
  const arrivals = saver ? saver.arrivals : { x: [], y: [] };
  const delays = saver ? saver.delays : { bucketWidth: 1, counts: [] };
  const timeline = saver ? saver.timeline : { t: [], columns: { buffered: [] } };
  const progress = report.progress;
  return {
    arrival: [arrivals.x, arrivals.y, arrivals.x],
    delays: [delays.counts.map((_, i) => i * delays.bucketWidth), delays.counts],
    progress: [
      seconds(progress.t, report.startedAt),
      progress.columns.sent,
      progress.columns.acked,
      progress.columns.written,
    ],
    buffer: [seconds(timeline.t, report.startedAt), timeline.columns.buffered],
  };
}

const line = (label, stroke) => ({ label, stroke, width: 2 });
const dots = (label, fill) => ({
  label,
  stroke: fill,
  fill,
  paths: () => null,
  points: { show: true, size: 3, stroke: fill, fill },
});

function options(name, delayWidth) {
  // x is a number (a place, a delay, seconds), not a date.
  const numericX = { scales: { x: { time: false } } };
  switch (name) {
    case 'arrival':
      return {
        ...numericX,
        series: [{ label: 'place' }, dots('arrival', COLORS.arrival), line('file', COLORS.file)],
        axes: [{ label: 'place: arrival at the saver, or line of the file' }, { label: 'seq' }],
      };
    case 'delays':
      return {
        ...numericX,
        series: [
          { label: 'delay from (ms)' },
          {
            label: 'results',
            stroke: COLORS.acked,
            fill: 'rgba(28, 126, 214, 0.4)',
            paths: uPlot.paths.bars({ size: [0.9, 64], align: 1 }),
            points: { show: false },
          },
        ],
        scales: { ...numericX.scales, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{ label: `delay (ms, buckets of ${delayWidth} ms)` }, { label: 'results' }],
      };
    case 'progress':
      return {
        ...numericX,
        series: [
          { label: 's' },
          line('sent', COLORS.sent),
          line('acked', COLORS.acked),
          line('written', COLORS.written),
        ],
        axes: [{ label: 'seconds since the run started' }, { label: 'tasks' }],
      };
    default:
      return {
        ...numericX,
        series: [
          { label: 's' },
          { ...line('buffered', COLORS.arrival), fill: 'rgba(217, 72, 15, 0.15)' },
        ],
        axes: [{ label: 'seconds since the run started' }, { label: 'results held' }],
      };
  }
}

function drawCharts(report) {
  const data = chartData(report);
  for (const name of Object.keys(data)) {
    if (charts[name]) {
      charts[name].setData(data[name]);
      continue;
    }
    const target = document.getElementById(`chart-${name}`);
    const width = report.saver ? report.saver.delays.bucketWidth : 1;
    charts[name] = new uPlot(
      { ...size(), ...options(name, width), hooks: { setCursor: [showLatest] } },
      data[name],
      target,
    );
  }
  for (const chart of Object.values(charts)) showLatest(chart);
}

/** Away from the cursor, a legend gives the latest values rather than `--`. */
function showLatest(chart) {
  if (chart.cursor.idx != null) return;
  const last = chart.data[0].length - 1;
  if (last >= 0) chart.setLegend({ idx: last });
}

function drawSummary(report) {
  const s = report.summary;
  const { run } = report;
  const rows = [
    ['state', s.state],
    [
      'shape',
      `${format(run.connectionCount)} connections × ${format(run.connectionValue)} tasks, delay_range ${run.delayRange} s`,
    ],
    [
      'started',
      new Date(report.startedAt).toISOString() +
        (run.restarts > 0 ? ` (resumed ${run.restarts}× after a client restart)` : ''),
    ],
    ['tasks', `${format(s.written)} written of ${format(s.tasks)}`],
    ['duration', `${format(s.durationS, 2)} s`],
    ['tasks/s', format(s.tasksPerSecond)],
    [
      'ack latency (ms)',
      `p50 ${s.ackMs.p50} · p90 ${s.ackMs.p90} · p99 ${s.ackMs.p99} · max ${s.ackMs.max}`,
    ],
    [
      'reorder wait (ms)',
      `p50 ${s.reorderWaitMs.p50} · p90 ${s.reorderWaitMs.p90} · p99 ${s.reorderWaitMs.p99} · max ${s.reorderWaitMs.max}`,
    ],
    ['duplicates', format(s.duplicates)],
    ['re-sent', format(s.resent)],
    ['failed', format(s.failed)],
    ['file', s.file],
  ];
  const table = document.createElement('table');
  for (const [name, value] of rows) {
    const row = table.insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = value;
  }
  document.getElementById('summary').replaceChildren(table);
  const status = document.getElementById('status');
  status.textContent = report.saver
    ? `${format(report.saver.arrivals.seen)} arrivals at the saver (${format(report.saver.arrivals.x.length)} drawn)`
    : `The saver did not answer: ${report.saverError}`;
}

async function load() {
  const response = await fetch(root.dataset.reportUrl);
  if (!response.ok) throw new Error(`report.json answered ${response.status}`);
  const report = await response.json();
  drawSummary(report);
  drawCharts(report);
  document.body.dataset.ready = 'true';
  if (!FINAL_STATES.includes(report.run.state)) setTimeout(() => void refresh(), REFRESH_MS);
}

async function refresh() {
  try {
    await load();
  } catch (error) {
    document.getElementById('status').textContent = String(error);
  }
}

void refresh();
