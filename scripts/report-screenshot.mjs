// Saves a screenshot of a run's report page, as the README shows it:
//   node scripts/report-screenshot.mjs http://127.0.0.1:5000 <runId> docs/report-page.png
// Drives Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) with playwright-core.
import { chromium } from 'playwright-core';

const [baseUrl, runId, out] = process.argv.slice(2);
if (!baseUrl || !runId || !out) {
  console.error('usage: node scripts/report-screenshot.mjs <client url> <runId> <file.png>');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  await page.goto(`${baseUrl}/runs/${runId}/report`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.screenshot({ path: out, fullPage: true });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
}
