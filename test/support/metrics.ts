/** The value of an unlabelled or labelled sample in Prometheus text, e.g. `pipeline_runs{state="completed"}`. */
export function sample(text: string, name: string): number {
  const line = text.split('\n').find((one) => one.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name} in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

/** Polls a `/metrics` URL until the sample `name` meets `accept`; fails with its last value when time is up. */
export async function untilSample(
  metricsUrl: string,
  name: string,
  accept: (value: number) => boolean,
  withinMs = 20_000,
): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = sample(await (await fetch(metricsUrl)).text(), name);
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`${name} at ${metricsUrl} stayed ${value}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
