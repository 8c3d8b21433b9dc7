import { afterEach, describe, expect, it } from '@jest/globals';
import type { MessageHandler } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, Observable, of, throwError, toArray } from 'rxjs';
import { LocalClient, LocalServer } from './local-transport.js';

/** Resolves once `condition` holds, checking after each turn of the event loop (at most 1000). */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn > 1000) throw new Error('the condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Starts listening; answers the error `listen` reported, if any. */
const listen = (server: LocalServer): unknown => {
  let reported: unknown;
  server.listen((error?: unknown) => (reported = error));
  return reported;
};

const handler =
  (fn: (data: unknown) => unknown): MessageHandler =>
  (data: unknown) =>
    Promise.resolve(fn(data));

describe(LocalServer.name, () => {
  const servers: LocalServer[] = [];

  /** A listener of `role`, closed after the test. */
  const server = (role: 'server' | 'processor' | 'saver' = 'saver'): LocalServer => {
    const made = new LocalServer(role);
    servers.push(made);
    return made;
  };

  afterEach(() => {
    for (const made of servers.splice(0)) made.close();
  });

  it('hands a request to the handler of its pattern and brings its answer back', async () => {
    const sut = server();
    const seen: unknown[] = [];
    sut.addHandler(
      'saver.status',
      handler((data) => {
        seen.push(data);
        return { state: 'writing' };
      }),
    );
    expect(listen(sut)).toBeUndefined();
    const query = { runId: 'r', total: 3 };

    const answer = await firstValueFrom(
      new LocalClient({ role: 'saver' }).send<unknown>('saver.status', query),
    );

    expect(answer).toEqual({ state: 'writing' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(query); // shared, not copied
  });

  it('streams every value of a handler that answers with an observable, then completes', async () => {
    const sut = server();
    sut.addHandler(
      'saver.status',
      handler(() => of(1, 2, 3)),
    );
    listen(sut);

    const answers = await lastValueFrom(
      new LocalClient({ role: 'saver' }).send('saver.status', {}).pipe(toArray()),
    );

    expect(answers).toEqual([1, 2, 3]);
  });

  it("passes a handler's error back as it is", async () => {
    const sut = server();
    const refusal = { status: 'error', message: 'queue full', retryable: true };
    sut.addHandler(
      'saver.result',
      handler(() => throwError(() => refusal)),
    );
    listen(sut);

    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.result', {})),
    ).rejects.toBe(refusal);
  });

  it('passes back the error of a handler whose promise rejects', async () => {
    const sut = server();
    const failure = new Error('disk full');
    sut.addHandler('saver.result', () => Promise.reject(failure));
    listen(sut);

    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.result', {})),
    ).rejects.toBe(failure);
  });

  it('answers an error naming the role when no handler has the pattern', async () => {
    listen(server('processor'));

    await expect(
      firstValueFrom(new LocalClient({ role: 'processor' }).send('processor.nothing', {})),
    ).rejects.toBe('There is no matching message handler defined in the local processor.');
  });

  it('fails a request at once when no listener of the role is in this process', async () => {
    listen(server('server'));

    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.status', {})),
    ).rejects.toThrow('no local saver listens in this process');
  });

  it('refuses a second listener of the same role, and keeps the first', async () => {
    const first = server();
    first.addHandler(
      'saver.status',
      handler(() => 'first'),
    );
    expect(listen(first)).toBeUndefined();
    const second = server();
    second.addHandler(
      'saver.status',
      handler(() => 'second'),
    );

    const refused = listen(second);
    second.close(); // closing the refused one must not unregister the first

    expect(refused).toEqual(new Error('a local saver already listens in this process'));
    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.status', {})),
    ).resolves.toBe('first');
  });

  it('lets another listener take the role once the first has closed', async () => {
    const first = server();
    listen(first);
    first.close();
    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.status', {})),
    ).rejects.toThrow('no local saver listens');

    const next = server();
    next.addHandler(
      'saver.status',
      handler(() => 'next'),
    );
    expect(listen(next)).toBeUndefined();
    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.status', {})),
    ).resolves.toBe('next');
  });

  it("unsubscribes from the handler's stream when the requester tears down", async () => {
    const sut = server();
    let torndown = false;
    sut.addHandler(
      'saver.status',
      handler(
        () =>
          new Observable((subscriber) => {
            subscriber.next('progress');
            return () => (torndown = true);
          }),
      ),
    );
    listen(sut);

    // `firstValueFrom` unsubscribes after the first value.
    await expect(
      firstValueFrom(new LocalClient({ role: 'saver' }).send('saver.status', {})),
    ).resolves.toBe('progress');
    await until(() => torndown);
    expect(torndown).toBe(true);
  });

  it("never subscribes to a handler's answer when the requester tore down before it came", async () => {
    const sut = server();
    let resolveHandler!: (answer: Observable<string>) => void;
    let subscribed = false;
    let called = false;
    sut.addHandler('saver.status', (): Promise<Observable<string>> => {
      called = true;
      return new Promise((resolve) => (resolveHandler = resolve));
    });
    listen(sut);

    const received: string[] = [];
    const subscription = new LocalClient({ role: 'saver' })
      .send<string>('saver.status', {})
      .subscribe((answer) => received.push(answer));
    await until(() => called);
    subscription.unsubscribe();
    resolveHandler(
      new Observable((subscriber) => {
        subscribed = true;
        subscriber.next('too late');
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));

    expect(subscribed).toBe(false);
    expect(received).toEqual([]);
  });
});

describe(LocalClient.name, () => {
  it('carries requests only: an event is refused', async () => {
    const sut = new LocalClient({ role: 'saver' });
    await expect(lastValueFrom(sut.emit('saver.result', {}))).rejects.toThrow(
      'the local transport carries requests only',
    );
  });

  it('reaches the listener of its role through unwrap()', () => {
    const listener = new LocalServer('saver');
    listen(listener);
    try {
      expect(new LocalClient({ role: 'saver' }).unwrap()).toBe(listener);
    } finally {
      listener.close();
    }
  });
});
