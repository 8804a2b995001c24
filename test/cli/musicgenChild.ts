// Runs the whole `musicgen` program from the sources in its own process (what bin/musicgen.js
// runs after its relaunch), so CLI tests see real stdout, stderr and exit codes.
import { main } from '../../src/cli/main.js';

await main(process.argv);
