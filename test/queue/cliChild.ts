// Runs the `musicgen` command from the sources in a child process, for tests that kill and restart
// real processes. With MUSICGEN_TEST_RELAUNCH=1 it first relaunches itself under the malloc
// tunables as bin/musicgen.js does, so the process a test kills is the launcher a user would see.
import { needsRelaunch, relaunchWithMallocTunables } from '../../src/cli/mallocTunables.js';
import { main } from '../../src/cli/main.js';

if (process.env.MUSICGEN_TEST_RELAUNCH === '1' && needsRelaunch()) {
  process.exitCode = await relaunchWithMallocTunables();
} else {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`musicgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
