import { Option } from 'commander';
import { intArg } from './numberArgs.js';

/** `--port` of a serving command (`musicgen app`, `musicgen mos serve`); 0 picks a free port. */
export function portOption(defaultPort: number): Option {
  return new Option('--port <port>', 'TCP port (0 = any free port)').argParser(intArg('--port', 0, 65535)).default(defaultPort);
}

/** `--host` of a serving command: loopback unless the user chooses to expose the server. */
export function hostOption(): Option {
  return new Option('--host <host>', 'interface to listen on; 0.0.0.0 exposes it to the network').default('127.0.0.1');
}
