import { InvalidArgumentError } from 'commander';

/** Commander parser for an integer option in [min, max]; the message names the option. */
export function intArg(name: string, min: number, max: number): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** Commander parser for a finite number option in [min, max]. */
export function numberArg(name: string, min: number, max: number): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
}
