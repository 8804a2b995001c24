import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './notebookRun.js';

/** A Jupyter Notebook 6 server on 127.0.0.1 serving `dir`, with its own (empty) trust database. */
export interface NotebookServer {
  url: (path: string) => string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `jupyter-notebook` on a free loopback port. Every notebook is untrusted (the notary's
 * database is in memory and empty), as a notebook received from someone else is; Jupyter's own
 * folders go under `home` so nothing of the user's is read or written.
 */
export async function startNotebookServer(dir: string, home: string): Promise<NotebookServer> {
  const port = await freePort();
  const token = 'musicgen-test';
  for (const d of ['data', 'runtime', 'config']) mkdirSync(join(home, d), { recursive: true });
  const args = [
    '--no-browser',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--port-retries=0',
    `--notebook-dir=${dir}`,
    `--NotebookApp.token=${token}`,
    '--NotebookNotary.db_file=:memory:',
  ];
  if (process.getuid?.() === 0) args.push('--allow-root');
  const child: ChildProcess = spawn('jupyter-notebook', args, {
    env: {
      ...process.env,
      HOME: home,
      JUPYTER_DATA_DIR: join(home, 'data'),
      JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
      JUPYTER_CONFIG_DIR: join(home, 'config'),
      // The project's kernel spec, as `npm run notebook` sets it (the page starts a kernel).
      JUPYTER_PATH: join(ROOT, 'jupyter'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jupyter-notebook did not start in 60 s:\n${log}`)), 60_000);
    const check = (): void => {
      if (log.includes(`127.0.0.1:${port}/`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`jupyter-notebook exited (${code}):\n${log}`));
    });
  });
  return {
    url: (path) => `http://127.0.0.1:${port}/${path}?token=${token}`,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
