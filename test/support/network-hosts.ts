import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/**
 * Hosts of their own on this machine: one network namespace per host, each with one interface
 * (an end of a veth pair) and an address of its own on a private /24, the other ends joined by a
 * bridge in the test's namespace, which has the .254 address of that network: the test reaches
 * every host, the hosts reach each other, and nothing else is on that network. `cut(host)` takes a
 * host's link down, as a pulled cable would; `mend(host)` brings it back.
 *
 * Needs root and iproute2 (`ip`); `unavailableReason()` says why not, for the suite to skip with.
 */
export class NetworkHosts {
  private constructor(
    private readonly tag: string,
    private readonly subnet: string,
    private readonly names: readonly string[],
  ) {}

  /** Why hosts cannot be made here, or undefined when they can. */
  static unavailableReason(): string | undefined {
    if (process.getuid?.() !== 0)
      return 'network namespaces need root (CI runs as root): run the suite as root';
    const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
    if (ip.error) return 'iproute2 is not installed (apt-get install iproute2)';
    return undefined;
  }

  /**
   * Makes one host per name. On a failure half-way, what was made is removed before it throws.
   * The addresses are 10.<random>.<random>.1…, so suites running at once never share a network.
   */
  static create(names: readonly string[]): NetworkHosts {
    const tag = randomInt(0x10000, 0xfffff).toString(36);
    const subnet = `10.${randomInt(64, 250)}.${randomInt(1, 250)}`;
    const hosts = new NetworkHosts(tag, subnet, names);
    try {
      ip('link', 'add', hosts.bridge, 'type', 'bridge');
      ip('addr', 'add', `${subnet}.254/24`, 'dev', hosts.bridge);
      ip('link', 'set', hosts.bridge, 'up');
      names.forEach((name, index) => {
        const namespace = hosts.namespaceOf(name);
        const outside = hosts.outsideEnd(name);
        ip('netns', 'add', namespace);
        ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
        ip('link', 'set', outside, 'master', hosts.bridge);
        ip('link', 'set', outside, 'up');
        ip('-n', namespace, 'addr', 'add', `${subnet}.${index + 1}/24`, 'dev', 'eth0');
        ip('-n', namespace, 'link', 'set', 'eth0', 'up');
        ip('-n', namespace, 'link', 'set', 'lo', 'up');
      });
    } catch (error) {
      hosts.remove();
      throw error;
    }
    return hosts;
  }

  /** The address of host `name`. */
  address(name: string): string {
    return `${this.subnet}.${this.indexOf(name) + 1}`;
  }

  /** The command prefix that runs a program on host `name`. */
  run(name: string): string[] {
    return ['ip', 'netns', 'exec', this.namespaceOf(name)];
  }

  /** Takes host `name`'s link down: nothing reaches it, nothing leaves it, no one is told. */
  cut(name: string): void {
    ip('link', 'set', this.outsideEnd(name), 'down');
  }

  /** Brings host `name`'s link back up. */
  mend(name: string): void {
    ip('link', 'set', this.outsideEnd(name), 'up');
  }

  /** Removes every namespace and link made (the veth pairs go with their namespaces). */
  remove(): void {
    for (const name of this.names) spawnSync('ip', ['netns', 'del', this.namespaceOf(name)]);
    spawnSync('ip', ['link', 'del', this.bridge]);
  }

  private get bridge(): string {
    return `opb${this.tag}`;
  }

  private indexOf(name: string): number {
    const index = this.names.indexOf(name);
    if (index < 0) throw new Error(`no host named ${name}`);
    return index;
  }

  private namespaceOf(name: string): string {
    return `op-${this.tag}-${name}`;
  }

  /** The end of host `name`'s veth pair on the bridge (interface names: 15 characters at most). */
  private outsideEnd(name: string): string {
    return `opv${this.tag}${this.indexOf(name)}`;
  }
}

function ip(...args: string[]): void {
  const run = spawnSync('ip', args, { encoding: 'utf8' });
  if (run.error) throw new Error(`ip ${args.join(' ')} could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${run.stderr.trim()}`);
}
