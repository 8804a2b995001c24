// Runs `musicgen mos ...` through src/cli/mos.ts's register in its own process (used by the
// SIGKILL durability test to run a real server).
import { Command } from 'commander';
import { register } from '../../src/cli/mos.js';

const program = new Command().exitOverride();
register(program);
await program.parseAsync(process.argv);
