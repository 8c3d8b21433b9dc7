import { TOKEN_QUERY } from '../../common/http/bearer-token.js';

/** Where the report page's assets are served. */
export const REPORT_ASSETS_PATH = '/report-assets';

/** Only this app's own files: the page can load nothing from elsewhere. */
export const REPORT_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'";

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * The report page of one run: a shell that loads uPlot and the page's script from this app;
 * the script reads `report.json` beside it and draws the summary and the charts.
 */
export function reportPage(runId: string, token?: string): string {
  const id = escapeHtml(runId);
  // A browser given the page with `?access_token=` (API_TOKEN set) reads its data with it too.
  const data = `/runs/${id}/report.json${token === undefined ? '' : `?${TOKEN_QUERY}=${escapeHtml(encodeURIComponent(token))}`}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Run ${id} · ordered-pipeline</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${REPORT_ASSETS_PATH}/uPlot.min.css">
<link rel="stylesheet" href="${REPORT_ASSETS_PATH}/report.css">
</head>
<body>
<main id="report" data-run-id="${id}" data-report-url="${data}">
<h1>Run <code>${id}</code></h1>
<p id="status">Loading…</p>
<section id="summary"></section>
<section class="charts">
<figure><figcaption>Arrival order at the saver against seq, beside the file's order</figcaption><div id="chart-arrival"></div></figure>
<figure><figcaption>Delays the processors drew (ms)</figcaption><div id="chart-delays"></div></figure>
<figure><figcaption>Sent, acknowledged and written over time</figcaption><div id="chart-progress"></div></figure>
<figure><figcaption>Results held in the reorder buffer over time</figcaption><div id="chart-buffer"></div></figure>
</section>
</main>
<script src="${REPORT_ASSETS_PATH}/uPlot.iife.min.js"></script>
<script src="${REPORT_ASSETS_PATH}/report.js"></script>
</body>
</html>
`;
}
