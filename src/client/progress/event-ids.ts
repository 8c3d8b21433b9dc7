/**
 * Ids of the events of `GET /runs/:runId/events`, so that a standard EventSource can resume and
 * stop. Progress events are numbered 1, 2, … and a reconnection goes on after the number its
 * client sends back as `Last-Event-ID`; the `end` event has this id, so a client that sends it
 * back has had the end, and gets `204 No Content` (the EventSource standard's "do not reconnect").
 */
export const END_EVENT_ID = 'end';

/** Before this, a progress number is taken as it is; past it (or anything but digits) ids restart at 1. */
const MAX_EVENT_NUMBER = 2 ** 48;

/** Whether the client that sent `lastEventId` has received the run's `end` event. */
export const hasReceivedEnd = (lastEventId: string | undefined): boolean =>
  lastEventId === END_EVENT_ID;

/** The number of the first progress event for a client that last received `lastEventId`. */
export function firstEventNumber(lastEventId: string | undefined): number {
  if (lastEventId === undefined || !/^[0-9]{1,15}$/.test(lastEventId)) return 1;
  const last = Number(lastEventId);
  return last < MAX_EVENT_NUMBER ? last + 1 : 1;
}
