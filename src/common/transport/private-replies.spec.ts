import { describe, expect, it } from '@jest/globals';
import { ReplyKey, replyChannelOf } from './private-replies.js';

describe('private replies', () => {
  it('gives every client its own key and every request an id that names it', () => {
    const one = new ReplyKey();
    const other = new ReplyKey();
    expect(one.key).not.toBe(other.key);
    const ids = [one.nextId(), one.nextId(), one.nextId()];
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(replyChannelOf('server.task.reply', id, '.')).toBe(
        one.channel('server.task.reply', '.'),
      );
    }
    expect(one.channel('server.task/reply', '/')).toBe(`server.task/reply/${one.key}`);
  });

  it('answers an id without a key, or with one that is not a plain name, on the shared channel', () => {
    for (const id of [
      '0f3c-uuid-like',
      '~7',
      'a/b~1',
      'a+#~1',
      'x'.repeat(33) + '~1',
      42,
      undefined,
    ]) {
      expect(replyChannelOf('server.task/reply', id, '/')).toBe('server.task/reply');
    }
  });
});
