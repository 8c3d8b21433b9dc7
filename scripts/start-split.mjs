// Runs the split system on one machine: one `node dist/main.js` process per module, each chosen by
// MODULES, as docker-compose.yml does with containers. It exists so the split mode (four processes
// talking over the transport) can be tried and debugged without Docker. `npm run start:split`
// builds first. Every other setting comes from the environment, e.g. CLIENT_PORT=15000.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MODULES = ['saver', 'processor', 'server', 'client']; // callees first, as in src/system.ts
const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const width = Math.max(...MODULES.map((name) => name.length));

if (!existsSync(ENTRY)) {
  console.error(`${ENTRY} is missing: run \`npm run build\` first (or \`npm run start:split\`).`);
  process.exit(1);
}
// V8 heap cap of one split process (README, "Memory"), from the build like the entry point.
const { HEAP_FLAGS } = await import('../dist/common/heap-flags.js');

const running = new Map(); // name → child process
let stopping = false;
let failed = false;

/** Asks every child still running to stop; a second call (second Ctrl-C) makes them stop at once. */
function stopAll(signal) {
  stopping = true;
  for (const child of running.values()) child.kill(signal);
}

/** Copies a child's output line by line, each line prefixed with its module's name. */
function pipeLines(input, output, label) {
  createInterface({ input, crlfDelay: Infinity }).on('line', (line) =>
    output.write(`${label} ${line}\n`),
  );
}

for (const name of MODULES) {
  const label = `[${name.padEnd(width)}]`;
  // detached: the child gets its own process group, so a Ctrl-C in the terminal reaches it only
  // through us, once; two SIGINTs would make main.ts skip the graceful stop.
  const child = spawn(process.execPath, [...HEAP_FLAGS.split, ENTRY], {
    // Their output is a pipe, not the terminal: readable lines if ours is one (JSON otherwise).
    env: {
      ...(process.stdout.isTTY ? { LOG_FORMAT: 'pretty' } : {}),
      ...process.env,
      MODULES: name,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.set(name, child);
  pipeLines(child.stdout, process.stdout, label);
  pipeLines(child.stderr, process.stderr, label);
  child.on('error', (error) => console.error(`${label} ${error.message}`));
  // 'close', not 'exit': by then the child's last output lines have been copied.
  child.on('close', (code, signal) => {
    running.delete(name);
    const how = signal ?? `code ${code}`;
    if (!stopping) {
      // A module that ends on its own leaves the system broken: stop the others too.
      console.error(`${label} exited (${how}) before any signal: stopping the others`);
      failed = true;
      stopAll('SIGTERM');
    } else if (code !== 0) {
      console.error(`${label} exited (${how})`);
      failed = true;
    }
    if (running.size === 0) process.exitCode = failed ? 1 : 0;
  });
}

// Should this script die first (an exception), do not leave detached children behind.
process.on('exit', () => stopAll('SIGTERM'));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`${signal}: stopping ${[...running.keys()].join(', ')}`);
    stopAll(signal);
  });
}
