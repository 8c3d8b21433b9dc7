import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A file the report page loads from this app (never from a CDN). */
export interface ReportAsset {
  readonly contentType: string;
  readonly body: string;
}

const require = createRequire(import.meta.url);
/** This folder's `assets/`, beside the code in `src/` and copied beside it into `dist/` by the build. */
const own = (name: string): string => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));

const SOURCES: Readonly<Record<string, readonly [string, string]>> = {
  'uPlot.iife.min.js': [require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript'],
  'uPlot.min.css': [require.resolve('uplot/dist/uPlot.min.css'), 'text/css'],
  'report.js': [own('report.js'), 'text/javascript'],
  'report.css': [own('report.css'), 'text/css'],
};

/** The names of the files served under `/report-assets/`. */
export const REPORT_ASSET_NAMES: readonly string[] = Object.keys(SOURCES);

/** The report page's assets by name, read once (about 60 KB): a name not listed is not served. */
export function loadReportAssets(): ReadonlyMap<string, ReportAsset> {
  return new Map(
    Object.entries(SOURCES).map(([name, [path, type]]) => [
      name,
      { contentType: `${type}; charset=utf-8`, body: readFileSync(path, 'utf8') },
    ]),
  );
}
