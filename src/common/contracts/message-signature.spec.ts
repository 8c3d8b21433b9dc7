import { describe, expect, it } from '@jest/globals';
import { loadSettings } from '../settings/environment.js';
import type { Result, Task } from './messages.js';
import { MessageSignature, SIGNATURE_FIELD, signerOf } from './message-signature.js';
import { Patterns } from './patterns.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const task: Task = {
  runId: 'r-1',
  seq: 3,
  total: 10,
  conn: 2,
  idx: 5,
  value: 7,
  sentAt: 1_700_000_000_000,
  delayRange: 1,
};
const result: Result = { ...task, processedAt: 1_700_000_000_500, delayMs: 500, processor: 'h:1' };

const signatureOf = (env: Record<string, string>): MessageSignature => {
  const signature = MessageSignature.of(loadSettings(env));
  if (!signature) throw new Error('expected a key');
  return signature;
};

describe(MessageSignature.name, () => {
  const main = signatureOf({ MESSAGE_KEY: A });

  it('accepts what it signed, batches signed once, whatever the order of the fields', () => {
    const signed = main.sign(Patterns.serverTask, task);
    expect(main.refusalOf(Patterns.serverTask, signed)).toBeUndefined();
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(main.refusalOf(Patterns.serverTask, reordered)).toBeUndefined();
    const batch = main.sign(Patterns.saverResults, { items: [result, { ...result, seq: 4 }] });
    expect(Object.keys(batch)).toEqual(['items', SIGNATURE_FIELD]);
    expect(main.refusalOf(Patterns.saverResults, batch)).toBeUndefined();
  });

  it('refuses a message unsigned, changed, or signed for another pattern', () => {
    expect(main.refusalOf(Patterns.serverTask, task)).toBe('unsigned');
    const signed = main.sign(Patterns.saverResult, result);
    expect(main.refusalOf(Patterns.saverResult, { ...signed, seq: 4 })).toBe('bad_signature');
    const open = main.sign(Patterns.saverOpen, { runId: 'r-1', total: 10 });
    expect(main.refusalOf(Patterns.saverCancel, open)).toBe('bad_signature');
    const batch = main.sign(Patterns.saverResults, { items: [result] });
    expect(
      main.refusalOf(Patterns.saverResults, { ...batch, items: [{ ...result, value: 8 }] }),
    ).toBe('bad_signature');
    expect(main.refusalOf(Patterns.serverTask, { ...task, [SIGNATURE_FIELD]: 'main:short' })).toBe(
      'bad_signature',
    );
  });

  it('refuses another key, and takes every key of MESSAGE_KEYS while signing with the first', () => {
    const other = signatureOf({ MESSAGE_KEY: B });
    expect(main.refusalOf(Patterns.serverTask, other.sign(Patterns.serverTask, task))).toBe(
      'bad_signature',
    );
    const rotating = signatureOf({ MESSAGE_KEYS: `new:${B},main:${A}` });
    const byNew = rotating.sign(Patterns.serverTask, task);
    expect(String((byNew as Record<string, unknown>)[SIGNATURE_FIELD])).toMatch(/^new:/);
    expect(rotating.refusalOf(Patterns.serverTask, main.sign(Patterns.serverTask, task))).toBe(
      undefined,
    );
    expect(main.refusalOf(Patterns.serverTask, byNew)).toBe('unknown_key');
  });

  it('signs nothing without a key, and no ping', () => {
    expect(MessageSignature.of(loadSettings({}))).toBeUndefined();
    expect(signerOf(loadSettings({}))(Patterns.serverTask, task)).toBe(task);
    const sign = signerOf(loadSettings({ MESSAGE_KEY: A }));
    expect(sign(Patterns.serverPing, {})).toEqual({});
    expect(sign(Patterns.serverTask, task)).toHaveProperty(SIGNATURE_FIELD);
  });

  it('takes keys of 32 characters or more, with ids, never printing a secret', () => {
    for (const env of [
      { MESSAGE_KEY: 'short-secret' },
      { MESSAGE_KEYS: 'k1:short-secret' },
      { MESSAGE_KEYS: `${A}` },
      { MESSAGE_KEYS: `k1:${A},k1:${B}` },
      { MESSAGE_KEY: A, MESSAGE_KEYS: `k1:${B}` },
    ]) {
      let message = '';
      try {
        loadSettings(env);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/MESSAGE_KEY/);
      expect(message).not.toContain('short-secret');
      expect(message).not.toContain(A);
      expect(message).not.toContain(B);
    }
  });
});
