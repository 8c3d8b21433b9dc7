import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { givesHeapGrowing, HEAP_FLAGS } from '../../src/common/heap-flags.js';

/*
 * package.json, the Dockerfile and docker-compose.yml cannot import `HEAP_FLAGS`: this checks that
 * they carry exactly its flags, and that no other file names a heap size of its own.
 */

const read = (file: string): string => readFileSync(join(process.cwd(), file), 'utf8');
const monolith = HEAP_FLAGS.monolith.join(' ');
const split = HEAP_FLAGS.split.join(' ');

describe('heap flags', () => {
  it('start a monolith from npm with the monolith flags', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(`nest start --exec "node ${monolith}"`);
    expect(scripts['start:prod']).toBe(`node ${monolith} dist/main.js`);
  });

  it('are the image default (a monolith) in the Dockerfile', () => {
    const options = read('Dockerfile')
      .split('\n')
      .filter((line) => line.includes('NODE_OPTIONS'));
    expect(options).toEqual([`ENV NODE_OPTIONS="${monolith}"`]);
  });

  it('cap each split service in docker-compose.yml', () => {
    const compose = parse(read('docker-compose.yml')) as { 'x-env': Record<string, string> };
    expect(compose['x-env'].NODE_OPTIONS).toBe(split);
  });

  it('are named nowhere else in code', () => {
    const code = ['src', 'bench', 'scripts', 'test']
      .flatMap((dir) =>
        readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)),
      )
      .filter((file) => /\.(ts|mjs|js)$/.test(file) && !file.endsWith('heap-flags.spec.ts'));
    const naming = code.filter((file) => /--max-(old|semi)-space-size/.test(read(file)));
    expect(naming).toEqual([join('src', 'common', 'heap-flags.ts')]);
  });

  it.each([
    [['--heap-growing-percent=50'], true],
    [['--heap_growing_percent=50'], true],
    [['--max-old-space-size=160'], false],
    [[], false],
  ])('sees a growing factor given in %j: %s', (execArgv, given) => {
    expect(givesHeapGrowing(execArgv)).toBe(given);
  });
});
