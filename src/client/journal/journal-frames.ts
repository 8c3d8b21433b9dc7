import { crc32 } from 'node:zlib';

/**
 * The journal's bytes: a header (`MAGIC`, then the format's version as a u32), then frames. A frame
 * is `[u32 length][u32 crc32 of the payload][payload]`, little-endian; the payload's first byte is
 * its kind. A frame cut by a crash, or bytes that are not a frame, end the readable part: what
 * comes before them is kept, the rest is reported as dropped.
 */
export const MAGIC = Buffer.from('OPJR', 'latin1');
export const VERSION = 1;
export const HEADER_BYTES = MAGIC.length + 4;
const FRAME_HEAD = 8;
/** No record comes near this; a longer length field is garbage. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

export const FrameKind = {
  /** A run's record, as JSON (`RunRecord`). */
  Run: 1,
  /** Tasks of one run, in seq order: `TASK_ENTRY_BYTES` each (conn u32, idx u32, sentAt f64). */
  Tasks: 2,
} as const;

/** One task as the journal holds it; its seq is implied by its place. */
export const TASK_ENTRY_BYTES = 16;

export function header(): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes);
  bytes.writeUInt32LE(VERSION, MAGIC.length);
  return bytes;
}

export function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEAD);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

export function runFrame(record: object): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const payload = Buffer.allocUnsafe(1 + json.length);
  payload[0] = FrameKind.Run;
  json.copy(payload, 1);
  return frame(payload);
}

/** Where a run's tasks `firstSeq`.. are read from (the run's own arrays, indexed by seq). */
export interface TaskColumns {
  readonly conns: Uint32Array<ArrayBuffer>;
  readonly idxs: Uint32Array<ArrayBuffer>;
  readonly sentAts: Float64Array<ArrayBuffer>;
}

export function tasksFrame(
  runId: string,
  firstSeq: number,
  count: number,
  columns: TaskColumns,
): Buffer {
  const id = Buffer.from(runId, 'latin1');
  const payload = Buffer.allocUnsafe(1 + 1 + id.length + 8 + count * TASK_ENTRY_BYTES);
  payload[0] = FrameKind.Tasks;
  payload[1] = id.length;
  id.copy(payload, 2);
  let at = 2 + id.length;
  payload.writeUInt32LE(firstSeq, at);
  payload.writeUInt32LE(count, at + 4);
  at += 8;
  for (let seq = firstSeq; seq < firstSeq + count; seq++, at += TASK_ENTRY_BYTES) {
    payload.writeUInt32LE(columns.conns[seq], at);
    payload.writeUInt32LE(columns.idxs[seq], at + 4);
    payload.writeDoubleLE(columns.sentAts[seq], at + 8);
  }
  return frame(payload);
}

export interface TaskChunk {
  readonly kind: typeof FrameKind.Tasks;
  readonly runId: string;
  readonly firstSeq: number;
  readonly count: number;
  /** The entries, `TASK_ENTRY_BYTES` each (a view into the file's bytes). */
  readonly entries: Buffer;
}

export interface RunChunk {
  readonly kind: typeof FrameKind.Run;
  readonly record: unknown;
}

export type Chunk = TaskChunk | RunChunk;

export interface ReadJournal {
  /** The format's version the file declares; undefined when it has no readable header. */
  readonly version?: number;
  readonly chunks: Chunk[];
  /** Bytes from the first one that is not a whole, intact frame to the end. */
  readonly droppedBytes: number;
  /** Intact frames whose content made no sense (unparsable JSON, a malformed task frame). */
  readonly droppedFrames: number;
}

/** Reads every intact frame of a journal's bytes, up to the first that is not. */
export function readFrames(bytes: Buffer): ReadJournal {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    return { chunks: [], droppedBytes: bytes.length, droppedFrames: 0 };
  }
  const version = bytes.readUInt32LE(MAGIC.length);
  if (version !== VERSION) return { version, chunks: [], droppedBytes: 0, droppedFrames: 0 };
  const chunks: Chunk[] = [];
  let droppedFrames = 0;
  let at = HEADER_BYTES;
  while (at + FRAME_HEAD <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    if (length === 0 || length > MAX_PAYLOAD || at + FRAME_HEAD + length > bytes.length) break;
    const payload = bytes.subarray(at + FRAME_HEAD, at + FRAME_HEAD + length);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    const chunk = parsePayload(payload);
    if (chunk) chunks.push(chunk);
    else droppedFrames++;
    at += FRAME_HEAD + length;
  }
  return { version, chunks, droppedBytes: bytes.length - at, droppedFrames };
}

function parsePayload(payload: Buffer): Chunk | undefined {
  if (payload[0] === FrameKind.Run) {
    try {
      return { kind: FrameKind.Run, record: JSON.parse(payload.toString('utf8', 1)) as unknown };
    } catch {
      return undefined;
    }
  }
  if (payload[0] !== FrameKind.Tasks || payload.length < 2) return undefined;
  const idLength = payload[1];
  const at = 2 + idLength;
  if (payload.length < at + 8) return undefined;
  const firstSeq = payload.readUInt32LE(at);
  const count = payload.readUInt32LE(at + 4);
  const entries = payload.subarray(at + 8);
  if (entries.length !== count * TASK_ENTRY_BYTES || firstSeq < 1) return undefined;
  return {
    kind: FrameKind.Tasks,
    runId: payload.toString('latin1', 2, at),
    firstSeq,
    count,
    entries,
  };
}
