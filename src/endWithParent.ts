import { constants } from 'node:os';

/** How a process ends once its parent is gone. */
export interface EndWithParentOptions {
  /**
   * 0: exit at once (nothing is left to report to). Otherwise this process first gets the SIGTERM
   * a supervisor would have sent, so its own handlers run (servers close, generation stops), and
   * exits anyway after this many milliseconds if that has not ended it.
   */
  graceMs?: number;
  /** How often the parent's pid is checked (ms). */
  intervalMs?: number;
  /**
   * Unref the IPC channel so that watching it never keeps this process alive (default true: the
   * relaunched `musicgen` command ends when its work ends). BullMQ's sandbox children pass false:
   * their job awaits replies from the worker over that channel, and with the channel unref'd a
   * job waiting on one left the child's event loop empty, so it exited 0 mid-job.
   */
  unrefChannel?: boolean;
}

/** The exit code of a process ended because its parent went: what a shell reports for SIGTERM. */
export const PARENT_GONE_EXIT_CODE = 128 + constants.signals.SIGTERM;

/**
 * Ends this process when its parent ends, however it ends. A parent killed with SIGKILL cannot
 * stop its children: BullMQ's sandbox children and the `musicgen` command relaunched under malloc
 * tunables (src/cli/mallocTunables.ts) would otherwise keep computing, or keep a port, after a
 * `kill -9` of the process the user started. Two signs that the parent is gone: the IPC channel
 * closes (when there is one; it is unref'd so it never keeps this process alive), and
 * `process.ppid` changes (the orphan is reparented). Linux's PR_SET_PDEATHSIG would do this in the
 * kernel but is not reachable from Node. Returns a function that stops watching.
 */
export function endWithParent(options: EndWithParentOptions = {}): () => void {
  const { graceMs = 1000, intervalMs = 250, unrefChannel = true } = options;
  const parent = process.ppid;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (graceMs <= 0) process.exit(PARENT_GONE_EXIT_CODE);
    setTimeout(() => process.exit(PARENT_GONE_EXIT_CODE), graceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent) end();
  }, intervalMs);
  timer.unref();
  const channel = process.channel;
  if (channel) {
    process.once('disconnect', end);
    // Listening for 'disconnect' holds the channel open; unref it so it never keeps us alive.
    if (unrefChannel) channel.unref();
  }
  return () => {
    clearInterval(timer);
    process.off('disconnect', end);
  };
}
