// Runs `musicgen encode|evaluate ...` through the commands' register functions in a process of its
// own (the SIGKILL test kills it mid-run).
import { Command } from 'commander';
import { register as registerEncode } from '../../src/cli/encode.js';
import { register as registerEvaluate } from '../../src/cli/evaluate.js';

const program = new Command().exitOverride();
registerEncode(program);
registerEvaluate(program);
await program.parseAsync(process.argv);
