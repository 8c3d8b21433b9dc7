// Runs Jest as `npm test` does: the Docker suite (a private dockerd, an image build that waits on
// the network; no broker, its own ports) in one Jest process, everything else in another, at the
// same time, so the long wait of the image build overlaps the rest. Each keeps Jest's one worker:
// the other suites share the brokers' default queues and must not run two at a time. Exits with
// the first failure's code once both have ended; Ctrl-C stops both.
import { spawn } from 'node:child_process';

const jest = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js'];
const DOCKER_SUITE = 'test/e2e/docker.e2e-spec.ts';
const runs = [
  ['rest', [...jest, '--testPathIgnorePatterns', DOCKER_SUITE]],
  ['docker', [...jest, '--selectProjects', 'e2e', '--runTestsByPath', DOCKER_SUITE]],
].map(([name, args]) => {
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  return {
    child,
    code: new Promise((done) =>
      child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0))),
    ),
    name,
  };
});

for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => runs.forEach(({ child }) => child.kill(signal)));

const codes = await Promise.all(runs.map(({ code }) => code));
codes.forEach((code, at) => {
  if (code !== 0) console.error(`test-suites: the ${runs[at].name} run failed (exit ${code})`);
});
process.exit(codes.find((code) => code !== 0) ?? 0);
