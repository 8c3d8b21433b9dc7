import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../settings/settings.js';
import { PATTERN_CONTRACTS, type MessagePattern } from './pattern-contracts.js';

/** The field a signed message carries its signature in: `<key id>:<HMAC-SHA256, base64url>`. */
export const SIGNATURE_FIELD = 'sig';

/** Why a receiver with a key refuses a message: the `reason` of `pipeline_messages_refused_total`. */
export const SIGNATURE_REFUSALS = ['unsigned', 'bad_signature', 'unknown_key'] as const;
export type SignatureRefusal = (typeof SIGNATURE_REFUSALS)[number];

const DIGEST_BYTES = 32;

/** Adds a signature to a message of `pattern` (or leaves it as it is: no key, or a ping). */
export type Sign = <T>(pattern: string, message: T) => T;

/** What signs a process's outgoing messages: its key's signature, or nothing without a key. */
export function signerOf(settings: Settings): Sign {
  const signature = MessageSignature.of(settings);
  if (!signature) return (_pattern, message) => message;
  return (pattern, message) =>
    pattern in PATTERN_CONTRACTS && typeof message === 'object' && message !== null
      ? signature.sign(pattern as MessagePattern, message)
      : message;
}

/**
 * Signs and checks the internal messages with `MESSAGE_KEY` (or `MESSAGE_KEYS`, the first one
 * signing, every one checking: a key is rotated by adding the new one first everywhere, then
 * dropping the old one). The signature covers the pattern and the message's contract fields in
 * the contract's order (`pattern\n` + their JSON): a message signed for one pattern is refused on
 * another (a `saver.open` replayed as `saver.cancel`), and a field added or changed breaks it.
 * A batch is signed once.
 */
export class MessageSignature {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly signingId: string;

  private constructor(keys: readonly { readonly id: string; readonly secret: string }[]) {
    this.keys = new Map(keys.map(({ id, secret }) => [id, Buffer.from(secret, 'utf8')]));
    this.signingId = keys[0].id;
  }

  /** The signature of a process's settings; undefined when it has no key (messages go unsigned). */
  static of(settings: Settings): MessageSignature | undefined {
    const keys = settings.messageKeys;
    return keys.length === 0 ? undefined : new MessageSignature(keys);
  }

  /** `message` with its signature added. */
  sign<T extends object>(pattern: MessagePattern, message: T): T {
    const signature = `${this.signingId}:${this.digest(this.signingId, pattern, message).toString('base64url')}`;
    return { ...message, [SIGNATURE_FIELD]: signature };
  }

  /** Why `message` (checked against its contract already) is refused, or undefined: it is ours. */
  refusalOf(pattern: MessagePattern, message: object): SignatureRefusal | undefined {
    const given = (message as Record<string, unknown>)[SIGNATURE_FIELD];
    if (typeof given !== 'string') return 'unsigned';
    const colon = given.indexOf(':');
    const id = given.slice(0, colon);
    if (colon < 1 || !this.keys.has(id)) return 'unknown_key';
    const claimed = Buffer.from(given.slice(colon + 1), 'base64url');
    if (claimed.length !== DIGEST_BYTES) return 'bad_signature';
    return timingSafeEqual(claimed, this.digest(id, pattern, message))
      ? undefined
      : 'bad_signature';
  }

  private digest(id: string, pattern: MessagePattern, message: object): Buffer {
    const contract = PATTERN_CONTRACTS[pattern] as unknown as { fields(value: object): object };
    return createHmac('sha256', this.keys.get(id) as Buffer)
      .update(pattern)
      .update('\n')
      .update(JSON.stringify(contract.fields(message)))
      .digest();
  }
}
