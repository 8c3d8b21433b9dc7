import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { loadSettings } from '../settings/environment.js';
import { aResult, aTask } from '../../../test/support/messages.js';
import { MessageSignature, SIGNATURE_FIELD, signerOf } from './message-signature.js';
import { PATTERN_CONTRACTS, type MessagePattern } from './pattern-contracts.js';
import { Patterns } from './patterns.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
// Any well-formed task and result: the signature covers every field, whatever its value.
const task = aTask();
const result = aResult();

/** As the contract pipe asks: the message's contract fields, and the signature it came with. */
const refusal = (signature: MessageSignature, pattern: MessagePattern, message: object) =>
  signature.refusalOf(
    pattern,
    (PATTERN_CONTRACTS[pattern] as unknown as { fields(value: object): object }).fields(message),
    (message as Record<string, unknown>)[SIGNATURE_FIELD],
  );

const signatureOf = (env: Record<string, string>): MessageSignature => {
  const signature = MessageSignature.of(loadSettings(env));
  if (!signature) throw new Error('expected a key');
  return signature;
};

describe(MessageSignature.name, () => {
  const main = signatureOf({ MESSAGE_KEY: A });

  it('accepts what it signed, batches signed once, whatever the order of the fields', () => {
    const signed = main.sign(Patterns.serverTask, task);
    expect(refusal(main, Patterns.serverTask, signed)).toBeUndefined();
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(refusal(main, Patterns.serverTask, reordered)).toBeUndefined();
    const batch = main.sign(Patterns.saverResults, { items: [result, { ...result, seq: 4 }] });
    expect(Object.keys(batch)).toEqual(['items', SIGNATURE_FIELD]);
    expect(refusal(main, Patterns.saverResults, batch)).toBeUndefined();
  });

  it('refuses a message unsigned, changed, or signed for another pattern', () => {
    expect(refusal(main, Patterns.serverTask, task)).toBe('unsigned');
    const signed = main.sign(Patterns.saverResult, result);
    expect(refusal(main, Patterns.saverResult, { ...signed, seq: 4 })).toBe('bad_signature');
    const open = main.sign(Patterns.saverOpen, { runId: 'r-1', total: 10 });
    expect(refusal(main, Patterns.saverCancel, open)).toBe('bad_signature');
    const batch = main.sign(Patterns.saverResults, { items: [result] });
    expect(
      refusal(main, Patterns.saverResults, { ...batch, items: [{ ...result, value: 8 }] }),
    ).toBe('bad_signature');
    expect(refusal(main, Patterns.serverTask, { ...task, [SIGNATURE_FIELD]: 'main:short' })).toBe(
      'bad_signature',
    );
  });

  it('refuses another key, and takes every key of MESSAGE_KEYS while signing with the first', () => {
    const other = signatureOf({ MESSAGE_KEY: B });
    expect(refusal(main, Patterns.serverTask, other.sign(Patterns.serverTask, task))).toBe(
      'bad_signature',
    );
    const rotating = signatureOf({ MESSAGE_KEYS: `new:${B},main:${A}` });
    const byNew = rotating.sign(Patterns.serverTask, task);
    expect(String((byNew as Record<string, unknown>)[SIGNATURE_FIELD])).toMatch(/^new:/);
    expect(refusal(rotating, Patterns.serverTask, main.sign(Patterns.serverTask, task))).toBe(
      undefined,
    );
    expect(refusal(main, Patterns.serverTask, byNew)).toBe('unknown_key');
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

  it('signs with HMAC-SHA256 as RFC 2104 defines it, for short and long keys', () => {
    for (const secret of [A, 'L'.repeat(100)]) {
      const signed = signatureOf({ MESSAGE_KEY: secret }).sign(Patterns.saverOpen, {
        runId: 'r-1',
        total: 10,
      });
      const expected = createHmac('sha256', secret)
        .update(`${Patterns.saverOpen}\n{"runId":"r-1","total":10}`)
        .digest('base64url');
      expect((signed as Record<string, unknown>)[SIGNATURE_FIELD]).toBe(`main:${expected}`);
    }
  });
});
