import { RESULT, type Result } from '../common/contracts/messages.js';

/** One line of the run's file: the fields of a `Result`, always in the contract's order, and nothing else. */
export const toLine = (result: Result): string => `${JSON.stringify(RESULT.fields(result))}\n`;
