/**
 * Exits this process once its parent is gone. A process killed with SIGKILL cannot stop its
 * children; BullMQ's sandbox children and the relaunched `musicgen` command (src/cli/mallocTunables.ts)
 * would otherwise keep computing for a job another worker has taken over. Polls `process.ppid`
 * (reparenting changes it) and listens for the IPC channel closing.
 */
export function exitWhenOrphaned(onOrphan: () => void = () => process.exit(1), intervalMs = 250): () => void {
  const parent = process.ppid;
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    onOrphan();
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent) fire();
  }, intervalMs);
  timer.unref();
  const onDisconnect = (): void => fire();
  if (process.send) process.once('disconnect', onDisconnect);
  return () => {
    clearInterval(timer);
    process.off('disconnect', onDisconnect);
  };
}
