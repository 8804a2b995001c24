import { spawnSync } from 'node:child_process';

let cached: string | null | undefined;

/**
 * A Python that imports NumPy: /usr/bin/python3 (CI installs python3-numpy) or the python3 on
 * PATH. Locally none makes the caller skip with a printed reason; under CI=true it is an error.
 */
export function pythonWithNumpy(): string | null {
  if (cached !== undefined) return cached;
  cached = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) ?? null;
  if (cached === null) {
    if (process.env.CI === 'true') throw new Error('a python3 with NumPy is required in CI (reading the token cache); .ci/run must install python3-numpy');
    process.stdout.write('[skip] no python3 with NumPy: skipping the NumPy reading check\n');
  }
  return cached;
}
