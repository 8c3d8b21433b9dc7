import { CorruptedPacketLengthException } from '@nestjs/microservices/errors/corrupted-packet-length.exception.js';
import { MaxPacketLengthExceededException } from '@nestjs/microservices/errors/max-packet-length-exceeded.exception.js';

const DELIMITER = 0x23; // '#'
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Reads Nest's TCP framing, `<length>#<json>`, where the length counts the characters of the JSON
 * text (UTF-16 code units, JavaScript's `string.length`: what `JsonSocket` writes).
 *
 * Nest's own reader (`JsonSocket.processBuffer`) appends every chunk to one string and searches it
 * from the start for `#`, so a peer that never sends `#` costs work quadratic in what it sent
 * (50 MB took 18–22 s of CPU), and it takes any announced length up to 128 M characters, holding
 * the bytes until they are all there. This reader looks at each character once, checks the
 * announced length against the limit as soon as its digits arrive (before the body), refuses a
 * header that is not digits, and holds at most one frame's characters.
 */
export class FrameDecoder {
  private readonly maxHeaderDigits: number;
  /** The length being read (header) or announced (body). */
  private length = 0;
  private headerDigits = 0;
  private readingBody = false;
  /** Parts of the body received in earlier chunks. */
  private readonly parts: string[] = [];
  private partsLength = 0;
  private handled = 0;

  constructor(readonly maxFrameLength: number) {
    this.maxHeaderDigits = String(maxFrameLength).length;
  }

  /** Whether a frame has begun and not ended: the peer still owes the rest of it. */
  get inFrame(): boolean {
    return this.readingBody || this.headerDigits > 0;
  }

  /** Characters of the unfinished frame held in memory. */
  get held(): number {
    return this.headerDigits + this.partsLength;
  }

  /**
   * Characters examined in headers or taken into a frame body so far: the decoder's work, which
   * stays equal to what it was given however the input is cut into chunks.
   */
  get charactersHandled(): number {
    return this.handled;
  }

  /**
   * Reads one chunk and hands the JSON text of each frame it completes to `onFrame`, in order.
   * Throws `MaxPacketLengthExceededException` for a header announcing more than the limit and
   * `CorruptedPacketLengthException` for a header that is not digits then `#`; the decoder is
   * of no further use after either.
   */
  read(chunk: string, onFrame: (json: string) => void): void {
    const end = chunk.length;
    let at = 0;
    for (;;) {
      if (!this.readingBody) {
        if (at === end) return;
        at = this.readHeader(chunk, at);
        continue;
      }
      const missing = this.length - this.partsLength;
      if (end - at < missing) {
        if (at < end) this.keep(chunk.slice(at));
        return;
      }
      const json = this.takeBody(chunk.slice(at, at + missing));
      at += missing;
      onFrame(json);
    }
  }

  /** Reads header characters from `at`; answers where it stopped (after `#`, or at the end). */
  private readHeader(chunk: string, from: number): number {
    for (let at = from; at < chunk.length; at++) {
      const code = chunk.charCodeAt(at);
      this.handled++;
      if (code === DELIMITER && this.headerDigits > 0) {
        this.readingBody = true;
        this.headerDigits = 0;
        return at + 1;
      }
      if (code < ZERO || code > NINE) {
        throw new CorruptedPacketLengthException(this.headerSoFar(chunk[at]));
      }
      this.length = this.length * 10 + (code - ZERO);
      this.headerDigits++;
      if (this.length > this.maxFrameLength) {
        throw new MaxPacketLengthExceededException(this.length);
      }
      // More digits than the limit has, yet not over it: leading zeros, which no writer sends.
      if (this.headerDigits > this.maxHeaderDigits) {
        throw new CorruptedPacketLengthException(this.headerSoFar(''));
      }
    }
    return chunk.length;
  }

  private keep(part: string): void {
    this.parts.push(part);
    this.partsLength += part.length;
  }

  private takeBody(last: string): string {
    const json = this.parts.length === 0 ? last : this.parts.join('') + last;
    this.handled += json.length;
    this.parts.length = 0;
    this.partsLength = 0;
    this.length = 0;
    this.readingBody = false;
    return json;
  }

  /** The header as far as it was read, for the error: a few characters at most. */
  private headerSoFar(offending: string): string {
    return `${this.headerDigits > 0 ? this.length : ''}${offending}`;
  }
}
