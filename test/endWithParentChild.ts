// test/endWithParent.test.ts: `parent <ipc|no-ipc> <graceMs>` starts this file again as the child
// that watches it; the test SIGKILLs the parent. The child says when it watches and when SIGTERM
// reaches it, and keeps itself alive after SIGTERM so only the grace timer can end it.
import { spawn } from 'node:child_process';
import { endWithParent } from '../src/endWithParent.js';

const [role, channel, grace] = process.argv.slice(2);
if (role === 'parent') {
  const stdio = channel === 'ipc' ? (['ignore', 'inherit', 'inherit', 'ipc'] as const) : (['ignore', 'inherit', 'inherit'] as const);
  spawn(process.execPath, [...process.execArgv, process.argv[1], 'child', channel, grace], { stdio: [...stdio] });
  process.stdout.write(`parent ${process.pid}\n`);
  setInterval(() => undefined, 1000);
} else {
  process.on('SIGTERM', () => process.stdout.write('child got SIGTERM\n'));
  endWithParent({ graceMs: Number(grace), intervalMs: 50 });
  process.stdout.write(`child ${process.pid} watching (${process.channel ? 'ipc' : 'no ipc'})\n`);
  setInterval(() => undefined, 1000);
}
