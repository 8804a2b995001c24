// Runs `musicgen app ...` from the sources in a child process (the lead wires src/cli/app.ts into
// the launcher's command list; this child registers it by itself).
import { Command } from 'commander';
import { register } from '../../src/cli/app.js';

const program = new Command().name('musicgen').exitOverride();
register(program);
await program.parseAsync(process.argv);
