// Runs the `musicgen` command from the sources in a child process (as bin/musicgen.js runs the
// built one, without the malloc relaunch), for tests that kill and restart real processes.
import { main } from '../../src/cli/main.js';

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`musicgen: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
