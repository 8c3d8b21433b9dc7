import { describe, expect, it } from '@jest/globals';
import { loadSettings } from './environment.js';
import { openExposures } from './open-exposures.js';

describe(openExposures.name, () => {
  it('says nothing on loopback, the default', () => {
    expect(openExposures(loadSettings({}))).toEqual([]);
    expect(openExposures(loadSettings({ LISTEN_HOST: '::1' }))).toEqual([]);
  });

  it('names the API, metrics and TCP listeners left open on another address', () => {
    const open = openExposures(loadSettings({ LISTEN_HOST: '0.0.0.0' }));
    expect(open).toHaveLength(3);
    expect(open[0]).toContain('set API_TOKEN');
    expect(open[1]).toContain('METRICS_TOKEN');
    expect(open[2]).toContain('server, processor, saver listener(s) on 0.0.0.0');
  });

  it('leaves out what a token closes, and the listeners a broker carries', () => {
    const closed = loadSettings({
      LISTEN_HOST: '0.0.0.0',
      API_TOKEN: 'a'.repeat(16),
      METRICS_TOKEN: 'b'.repeat(16),
      TRANSPORT: 'nats',
    });
    expect(openExposures(closed)).toEqual([]);
    const signed = loadSettings({ LISTEN_HOST: '0.0.0.0', MESSAGE_KEY: 'k'.repeat(32) });
    expect(openExposures(signed).join('\n')).not.toContain('listener');
    expect(
      openExposures(loadSettings({ LISTEN_HOST: '10.0.0.5', MODULES: 'client' })),
    ).toHaveLength(2);
  });
});
