import { Command } from 'commander';
import { follow } from '../follow.js';
import {
  followOptionsOf,
  withFollowOptions,
  withUrl,
  type FollowFlags,
  apiOf,
} from '../options.js';

/** `watch <runId>`: follows a run that was started elsewhere. */
export const watchCommand = (done: (code: number) => void): Command =>
  withFollowOptions(
    withUrl(
      new Command('watch')
        .description('follow a run already started; a finished run shows its summary at once')
        .argument('<runId>', 'the run to follow'),
    ),
  ).action(async (runId: string, flags: FollowFlags) => {
    done(await follow(apiOf(flags), runId, followOptionsOf(flags)));
  });
