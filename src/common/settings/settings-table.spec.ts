import { describe, expect, it } from '@jest/globals';
import { IsEmail, Max, Min } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Doc } from './doc.decorator.js';
import { Environment, loadSettings } from './environment.js';
import { settingsTable, TABLE_END, TABLE_START, withTable } from './settings-table.js';

class Documented {
  @Doc('how many', { default: 'twice B' }) @Min(1) @Max(9) A = 2;
}

class Undocumented {
  @Min(1) B = 1;
}

class Unworded {
  @Doc('where to write') @IsEmail() C = 'a@b.c';
}

describe(settingsTable.name, () => {
  it('is what docs/SETTINGS.md holds (else run `npm run docs:settings`)', () => {
    const committed = readFileSync(join(process.cwd(), 'docs', 'SETTINGS.md'), 'utf8');
    expect(withTable(committed, settingsTable(Environment))).toBe(committed);
  });

  it('shows a derived default as its @Doc says, the one loadSettings applies', () => {
    expect(settingsTable(Environment)).toMatch(/^\| `STATE_DIR` +\| `<OUTPUT_DIR>\/state` +\|/m);
    expect(loadSettings({ OUTPUT_DIR: '/srv/out' }).state.dir).toBe(join('/srv/out', 'state'));
  });

  it('prints the name, default, bounds and @Doc of each property, padded as Prettier pads', () => {
    expect(settingsTable(Documented).split('\n')).toEqual([
      '| variable | default   | accepts          | meaning  |',
      '| -------- | --------- | ---------------- | -------- |',
      '| `A`      | `twice B` | a number, 1 to 9 | how many |',
    ]);
  });

  it('refuses a property without @Doc', () => {
    expect(() => settingsTable(Undocumented)).toThrow('Undocumented.B has no @Doc');
  });

  it('refuses a validator it has no words for, rather than leave its bounds out', () => {
    expect(() => settingsTable(Unworded)).toThrow('C: no words for @isEmail');
  });
});

describe(withTable.name, () => {
  it('replaces what stands between the markers', () => {
    const sut = withTable(`# T\n${TABLE_START}\nold\n${TABLE_END}\nafter\n`, '| new |');
    expect(sut).toBe(`# T\n${TABLE_START}\n\n| new |\n\n${TABLE_END}\nafter\n`);
  });

  it('refuses a file without the markers', () => {
    expect(() => withTable('# T\n', '| new |')).toThrow(TABLE_START);
  });
});
