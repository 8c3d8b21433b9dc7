/*
 * Bounds of what a message may carry, whatever the sender's settings: the largest value each
 * setting allows (see `environment.ts`), or what the code that makes the field can make.
 */
/** MAX_TASKS at most. */
export const MAX_TOTAL = 10_000_000;
/** MAX_CONNECTIONS at most. */
export const MAX_CONN = 10_000;
/** MAX_DELAY at most, seconds. */
export const MAX_DELAY_RANGE = 3600;
/** The client draws values with `Math.floor(Math.random() * 2 ** 31)`. */
export const MAX_VALUE = 2 ** 31 - 1;
/** The processor's id is `host:pid`; a host name is at most 253 characters. */
export const MAX_PROCESSOR_LENGTH = 256;
/** The processor draws `randomInt(0, round(delayRange * 1000) + 1)`: rounding adds under 1 ms. */
export const DELAY_MS_SLACK = 1;
export const MAX_MISSING_LIMIT = 1_000_000;
export const MAX_RUN_ID_LENGTH = 64;
/** HOP_BATCH_MAX at most: items in one `Batch`. */
export const MAX_BATCH_ITEMS = 1024;
/**
 * The longest a `Result` of ours can be as JSON (a 64-character runId, a 256-character ASCII
 * processor id, every number at its longest: about 560 bytes), rounded up; and what a batch's
 * frame adds to its items.
 */
export const MAX_RESULT_BYTES = 640;
export const BATCH_ENVELOPE_BYTES = 256;

/** Run ids are made by the client and become file names at the saver: nothing else is allowed. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
