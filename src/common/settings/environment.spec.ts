import { describe, expect, it } from '@jest/globals';
import { InvalidSettingsError, loadSettings } from './environment.js';

describe(loadSettings.name, () => {
  it('gives the documented defaults for an empty environment', () => {
    const sut = loadSettings({});
    expect(sut.transport).toBe('tcp');
    expect(sut.modules).toEqual(['client', 'server', 'processor', 'saver']);
    expect(sut.listenHost).toBe('127.0.0.1');
    expect(sut.clientPort).toBe(5000);
    expect(sut.peers).toEqual({
      server: { host: '127.0.0.1', port: 5001 },
      processor: { host: '127.0.0.1', port: 5002 },
      saver: { host: '127.0.0.1', port: 5003 },
    });
    expect(sut.outputDir).toBe('./data');
    expect(sut.logLevels).toEqual(['error', 'warn', 'log']);
    expect(sut.logFormat).toBe('auto');
    expect(sut.opsPorts).toEqual({ server: 5011, processor: 5012, saver: 5013 });
  });

  it('reads the savers: addresses on TCP, a count and an index on a broker', () => {
    expect(loadSettings({ SAVER_ADDRESSES: 'a:5003, [::1]:6003' }).savers).toEqual({
      addresses: [
        { host: 'a', port: 5003 },
        { host: '::1', port: 6003 },
      ],
      count: 2,
      index: 0,
      failover: false,
    });
    expect(loadSettings({ TRANSPORT: 'nats', SAVER_COUNT: '3', SAVER_INDEX: '2' }).savers).toEqual({
      addresses: undefined,
      count: 3,
      index: 2,
      failover: false,
    });
    expect(() => loadSettings({ TRANSPORT: 'nats', SAVER_COUNT: '3', SAVER_INDEX: '3' })).toThrow(
      'SAVER_INDEX must be below SAVER_COUNT (3)',
    );
    expect(() => loadSettings({ SAVER_COUNT: '3' })).toThrow('SAVER_COUNT, if given, must be');
    expect(() => loadSettings({ SAVER_ADDRESSES: 'a:5003,b' })).toThrow('host:port');
    expect(() => loadSettings({ BROKER_PREFIX: 'a.b' })).toThrow('BROKER_PREFIX');
  });

  it('takes SAVER_FAILOVER=on on RabbitMQ only', () => {
    const rmq = { TRANSPORT: 'rmq', SAVER_COUNT: '2', SAVER_FAILOVER: 'on' };
    expect(loadSettings(rmq).savers.failover).toBe(true);
    expect(() => loadSettings({ ...rmq, TRANSPORT: 'nats' })).toThrow(
      'SAVER_FAILOVER=on needs TRANSPORT=rmq',
    );
    expect(() => loadSettings({ ...rmq, SAVER_FAILOVER: 'yes' })).toThrow('SAVER_FAILOVER');
  });

  it('reads the ops ports, 0 for any free port', () => {
    expect(
      loadSettings({ SERVER_OPS_PORT: '0', PROCESSOR_OPS_PORT: '6012', SAVER_OPS_PORT: '6013' })
        .opsPorts,
    ).toEqual({ server: 0, processor: 6012, saver: 6013 });
  });

  it('reads a comma list of modules, trimming and dropping repeats', () => {
    expect(loadSettings({ MODULES: ' saver, processor,saver' }).modules).toEqual([
      'saver',
      'processor',
    ]);
  });

  it('reads numbers and hosts', () => {
    const sut = loadSettings({ SERVER_HOST: 'server', SERVER_PORT: '6001', MAX_DELAY: '2.5' });
    expect(sut.peers.server).toEqual({ host: 'server', port: 6001 });
    expect(sut.limits.maxDelaySeconds).toBe(2.5);
  });

  it('treats an empty variable as unset', () => {
    expect(loadSettings({ CLIENT_PORT: '' }).clientPort).toBe(5000);
  });

  it.each([
    ['MODULES', 'client,gateway', 'MODULES'],
    ['MODULES', ',', 'MODULES'],
    ['TRANSPORT', 'carrier-pigeon', 'TRANSPORT'],
    ['SERVER_PORT', '70000', 'SERVER_PORT'],
    ['SERVER_PORT', 'abc', 'SERVER_PORT'],
    ['SAVER_PORT', '50.5', 'SAVER_PORT'],
    ['PROCESSOR_HOST', 'bad host', 'PROCESSOR_HOST'],
    ['SEND_WINDOW', '0', 'SEND_WINDOW'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ['LOG_FORMAT', 'xml', 'LOG_FORMAT'],
    ['PROCESSOR_OPS_PORT', '65536', 'PROCESSOR_OPS_PORT'],
    ['MAX_DELAY', '-1', 'MAX_DELAY'],
  ])('rejects %s=%j with a message naming it', (name, value, named) => {
    const load = () => loadSettings({ [name]: value });
    expect(load).toThrow(InvalidSettingsError);
    expect(load).toThrow(named);
  });

  it('lists every bad variable at once', () => {
    try {
      loadSettings({ SERVER_PORT: '-1', CLIENT_PORT: 'x' });
      throw new Error('expected loadSettings to throw');
    } catch (error) {
      expect((error as InvalidSettingsError).problems).toHaveLength(2);
    }
  });

  it('rejects a retry base above the retry ceiling', () => {
    expect(() => loadSettings({ RETRY_BASE_MS: '5000', RETRY_MAX_MS: '100' })).toThrow(
      'RETRY_BASE_MS',
    );
  });

  it('refuses a short API_TOKEN or METRICS_TOKEN without ever printing it', () => {
    for (const name of ['API_TOKEN', 'METRICS_TOKEN']) {
      try {
        loadSettings({ [name]: 'short-secret' });
        throw new Error('expected loadSettings to throw');
      } catch (error) {
        const { message } = error as InvalidSettingsError;
        expect(message).toContain(name);
        expect(message).toContain('a secret of 12 characters');
        expect(message).not.toContain('short-secret');
      }
    }
    expect(loadSettings({ API_TOKEN: 'x'.repeat(16) }).access.apiToken).toBe('x'.repeat(16));
    expect(loadSettings({}).access).toEqual({ apiToken: undefined, metricsToken: undefined });
  });
});
