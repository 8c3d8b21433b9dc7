import { describe, expect, it } from '@jest/globals';
import { CorruptedPacketLengthException } from '@nestjs/microservices/errors/corrupted-packet-length.exception.js';
import { MaxPacketLengthExceededException } from '@nestjs/microservices/errors/max-packet-length-exceeded.exception.js';
import fc from 'fast-check';
import { FrameDecoder } from './frame-decoder.js';

const LIMIT = 64 * 1024;

/** A frame as Nest's JsonSocket writes it. */
const frame = (json: string): string => `${json.length}#${json}`;

/** Feeds `chunks` one by one; answers the frames decoded. */
function decode(decoder: FrameDecoder, chunks: readonly string[]): string[] {
  const frames: string[] = [];
  for (const chunk of chunks) decoder.read(chunk, (json) => frames.push(json));
  return frames;
}

/** `text` cut at the given positions. */
function cut(text: string, positions: readonly number[]): string[] {
  const at = [...new Set(positions.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((start, i) => text.slice(start, at[i] ?? text.length));
}

describe(FrameDecoder.name, () => {
  it('reads many frames from one chunk, in order', () => {
    const jsons = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: i, data: 'x' }));
    const sut = new FrameDecoder(LIMIT);
    expect(decode(sut, [jsons.map(frame).join('')])).toEqual(jsons);
    expect(sut.inFrame).toBe(false);
  });

  it('reads a frame cut at every position, and holds only the unfinished one', () => {
    const jsons = ['{"pattern":"a","data":1,"id":"1"}', '{"pattern":"b","data":"é ✓ 𝄞"}', '{}'];
    const wire = jsons.map(frame).join('');
    for (let at = 0; at <= wire.length; at++) {
      const sut = new FrameDecoder(LIMIT);
      expect(decode(sut, [wire.slice(0, at), wire.slice(at)])).toEqual(jsons);
    }
    const sut = new FrameDecoder(LIMIT);
    decode(sut, [frame(jsons[0]), frame(jsons[1]).slice(0, 10)]);
    expect(sut.inFrame).toBe(true);
    expect(sut.held).toBe(10 - String(jsons[1].length).length - 1);
  });

  it('gives back what Nest framed, however the stream is cut, doing work equal to its length', () => {
    fc.assert(
      fc.property(
        fc.array(fc.json(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (jsons, positions) => {
          const wire = jsons.map(frame).join('');
          const sut = new FrameDecoder(LIMIT);
          expect(decode(sut, cut(wire, positions))).toEqual(jsons);
          expect(sut.charactersHandled).toBe(wire.length);
        },
      ),
    );
  });

  it('stays linear: a frame at the limit fed one character at a time costs its length', () => {
    const json = JSON.stringify({ data: 'x'.repeat(LIMIT - 11) });
    const wire = frame(json);
    expect(json.length).toBe(LIMIT);
    const sut = new FrameDecoder(LIMIT);
    const frames = decode(sut, [...wire]);
    expect(frames).toEqual([json]);
    // A reader that searched its whole buffer on each chunk would have done ~ wire.length² / 2.
    expect(sut.charactersHandled).toBe(wire.length);
  });

  it('refuses an announced length over the limit as soon as the header says so, before the body', () => {
    const sut = new FrameDecoder(LIMIT);
    decode(sut, ['6553']);
    expect(() => decode(sut, ['7'])).toThrow(MaxPacketLengthExceededException);
    expect(() => decode(new FrameDecoder(LIMIT), ['1000000000#'])).toThrow(
      MaxPacketLengthExceededException,
    );
    expect(decode(new FrameDecoder(LIMIT), [`${LIMIT}#`])).toEqual([]);
  });

  it.each([
    ['letters', 'a'],
    ['digits', '1'],
    ['zeros', '0'],
  ])('refuses a long buffer of %s without "#" within the first characters', (_, character) => {
    const sut = new FrameDecoder(LIMIT);
    let fed = 0;
    // 50 MB offered, one character at a time: the decoder must give up long before.
    expect(() => {
      for (; fed < 50_000_000; fed++) sut.read(character, () => undefined);
    }).toThrow(Error);
    expect(fed).toBeLessThanOrEqual(String(LIMIT).length);
    expect(sut.charactersHandled).toBeLessThanOrEqual(String(LIMIT).length + 1);
  });

  it.each(['#{}', 'abc#{}', '-1#{}', ' 2#{}', '2x#{}'])(
    'refuses the malformed header of %j',
    (wire) => {
      expect(() => decode(new FrameDecoder(LIMIT), [wire])).toThrow(CorruptedPacketLengthException);
    },
  );

  it('hands on an empty frame at once (the JSON reader refuses it, as with Nest)', () => {
    expect(decode(new FrameDecoder(LIMIT), ['0#'])).toEqual(['']);
  });
});
