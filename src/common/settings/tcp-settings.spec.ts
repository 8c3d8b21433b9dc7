import { describe, expect, it } from '@jest/globals';
import { InvalidSettingsError, loadSettings } from './environment.js';

describe('TCP edge settings', () => {
  it('default to limits that real traffic fits in', () => {
    expect(loadSettings({}).tcp).toEqual({
      // Requests are under 1 KB.
      maxFrameBytes: 64 * 1024,
      // A saver status lists up to 1,000,000 missing seqs of up to 8 digits each.
      maxReplyBytes: 16 * 1024 * 1024,
      // One run of MAX_CONNECTIONS (1000) connections twice over, plus the internal links.
      maxConnections: 2048,
      idleTimeoutMs: 30_000,
    });
  });

  it('reads them from the environment', () => {
    expect(
      loadSettings({
        TCP_MAX_FRAME_BYTES: '2048',
        TCP_MAX_REPLY_BYTES: '4096',
        TCP_MAX_CONNECTIONS: '10',
        TCP_IDLE_TIMEOUT_MS: '250',
      }).tcp,
    ).toEqual({ maxFrameBytes: 2048, maxReplyBytes: 4096, maxConnections: 10, idleTimeoutMs: 250 });
  });

  it.each([
    ['TCP_MAX_FRAME_BYTES', '100'],
    ['TCP_MAX_REPLY_BYTES', String(2 ** 30)],
    ['TCP_MAX_CONNECTIONS', '0'],
    ['TCP_IDLE_TIMEOUT_MS', '1'],
  ])('rejects %s=%s', (name, value) => {
    const load = () => loadSettings({ [name]: value });
    expect(load).toThrow(InvalidSettingsError);
    expect(load).toThrow(name);
  });
});
