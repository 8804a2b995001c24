import { describe, expect, it } from 'vitest';
import { installKernelInterrupt, interruptible, kernelInterruptSignal } from '../../src/kernelInterrupt.js';

// Inside the tslab kernel: test/notebooks/kernelInterrupt.test.ts (jupyter_client).
describe('kernelInterrupt outside the tslab kernel', () => {
  it('leaves SIGINT alone and passes the caller signal through', () => {
    const before = process.listenerCount('SIGINT');
    expect(installKernelInterrupt()).toBe(false);
    expect(kernelInterruptSignal()).toBeUndefined();
    const controller = new AbortController();
    const scope = interruptible(controller.signal);
    expect(scope.signal).toBe(controller.signal);
    expect(interruptible().signal).toBeUndefined();
    scope.close();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
