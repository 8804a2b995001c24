// Runs `musicgen encode|evaluate ...` through the commands' register functions in a process of its
// own (the SIGKILL test kills it mid-run).
import { Command } from 'commander';
import { register as registerEncode } from '../../src/cli/encode.js';

const program = new Command().exitOverride();
registerEncode(program);
await program.parseAsync(process.argv);
