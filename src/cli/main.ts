import { Command } from 'commander';
import { registerCommands } from './commands.js';

/** Builds the `musicgen` program; one sub-command per file in src/cli/. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('musicgen')
    .description('MusicGen text-to-music on the CPU: convert, generate, analyse, listen.')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander throws CommanderError for --help / --version with exitCode 0.
    if (err && typeof err === 'object' && 'exitCode' in err && 'code' in err) {
      const code = (err as { exitCode: number }).exitCode;
      if (code === 0) return;
      process.exitCode = code;
      return;
    }
    throw err;
  }
}
