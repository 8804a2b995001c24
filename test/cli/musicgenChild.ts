// bin/musicgen.js on the sources instead of dist/: relaunches itself under the malloc tunables, and
// the relaunched process ties itself to the launcher and runs the real CLI.
import { main } from '../../src/cli/main.js';
import { endWithLauncher, needsRelaunch, relaunchWithMallocTunables } from '../../src/cli/mallocTunables.js';

if (needsRelaunch()) {
  process.exitCode = await relaunchWithMallocTunables();
} else {
  endWithLauncher();
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`musicgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
