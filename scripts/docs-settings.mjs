// Rewrites the settings table of docs/SETTINGS.md from `Environment`, the one declaration of every
// setting (src/common/settings/environment.ts). `npm run docs:settings` builds first; the unit test
// settings-table.spec.ts fails while the committed table differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';

const { Environment } = await import('../dist/common/settings/environment.js');
const { settingsTable, withTable } = await import('../dist/common/settings/settings-table.js');
const file = new URL('../docs/SETTINGS.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withTable(before, settingsTable(Environment));
if (after !== before) writeFileSync(file, after);
console.log(`docs/SETTINGS.md: ${after === before ? 'already up to date' : 'table rewritten'}`);
