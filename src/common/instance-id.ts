import { hostname } from 'node:os';

/** host:pid of this process: names who did the work (a result's `processor`) or who answered. */
export const INSTANCE_ID = `${hostname()}:${process.pid}`;
