import type { Command } from 'commander';

/**
 * Every sub-command registers itself here. Keep one line per command file so parallel work on
 * different commands does not collide.
 */
export function registerCommands(program: Command): void {
  void program;
}
