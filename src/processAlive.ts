/**
 * Whether a process with this id exists: signal 0 checks without sending anything. EPERM means it
 * exists but belongs to another user. Used to tell a live holder of a lock or a temporary file
 * from one a killed run left behind.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
