/**
 * Kernel > Interrupt in a notebook. Jupyter interrupts the tslab kernel with SIGINT; tslab then
 * stops waiting for the cell's promise ("Interrupted asynchronously") but nothing stops the work
 * behind it: a generate ran on to its last step at full CPU and printed into later cells.
 *
 * Here one process-wide AbortController stands for "the user pressed Interrupt". Long operations
 * (generate, sweeps) run inside `interruptible()`, which adds that controller's signal to the
 * caller's; SIGINT aborts it (a fresh one replaces it for the next cell), so they stop at their
 * next decoder step and the cell ends with their AbortError. tslab's own interrupt still runs
 * when no such operation is running (e.g. a plain `await sleep()`), or when one has not stopped
 * after a grace period (a step that takes longer, a model still loading).
 *
 * Installed when the library is first imported inside the tslab kernel (its executor sets
 * `globalThis.__tslab__`); elsewhere `interruptible()` just passes the caller's signal through.
 * State lives on globalThis so two copies of this module (src and dist) share one controller.
 */

const HUB = Symbol.for('musicgen-ts.kernelInterrupt');

type SigintListener = (signal: NodeJS.Signals) => void;

interface InterruptHub {
  controller: AbortController;
  /** Operations running inside interruptible() right now. */
  active: Set<object>;
  /** The SIGINT listeners found at install time (tslab's executor.interrupt). */
  fallback: SigintListener[];
  graceMs: number;
  /**
   * The cell running at the last interrupt, known by its stdout writer: tslab installs a fresh
   * process.stdout.write for every execute request. Operations that this cell starts after the
   * interrupt (the rest of an `await` chain tslab stopped waiting for) start aborted.
   */
  interruptedCell: unknown;
}

/** Why the kernel signal aborted (its `reason`). */
export class KernelInterrupt extends Error {
  constructor() {
    super('interrupted from the notebook (Kernel > Interrupt)');
    this.name = 'KernelInterrupt';
  }
}

function hub(): InterruptHub | undefined {
  return (globalThis as Record<symbol, InterruptHub | undefined>)[HUB];
}

/** True inside the tslab kernel: its executor puts `__tslab__` on globalThis before any cell runs. */
export function inTslabKernel(): boolean {
  return '__tslab__' in globalThis;
}

export interface KernelInterruptOptions {
  /**
   * Milliseconds an interrupted operation has to stop before tslab's own interrupt returns control
   * to the notebook anyway (default 5000; a decoder step of a large model is well under that).
   */
  graceMs?: number;
}

/**
 * Routes SIGINT to the process-wide AbortController (see the file comment). Idempotent; a no-op
 * outside the tslab kernel, where SIGINT keeps its usual meaning. Returns whether it is installed.
 */
export function installKernelInterrupt(opts: KernelInterruptOptions = {}): boolean {
  const existing = hub();
  if (existing) {
    if (opts.graceMs !== undefined) existing.graceMs = opts.graceMs;
    return true;
  }
  if (!inTslabKernel()) return false;
  const h: InterruptHub = {
    controller: new AbortController(),
    active: new Set(),
    fallback: [],
    graceMs: opts.graceMs ?? 5000,
    interruptedCell: null,
  };
  (globalThis as Record<symbol, InterruptHub>)[HUB] = h;
  const runFallback = (): void => {
    for (const l of h.fallback) l('SIGINT');
  };
  const onSigint = (): void => {
    const running = [...h.active];
    h.interruptedCell = process.stdout.write;
    h.controller.abort(new KernelInterrupt());
    h.controller = new AbortController();
    if (running.length === 0) {
      runFallback();
      return;
    }
    // The operations end the cell themselves with one line; only when one is stuck outside its
    // step loop does tslab's interrupt hand the notebook back (the operation stops later).
    setTimeout(() => {
      if (!running.some((op) => h.active.has(op))) return;
      console.error(`still running ${h.graceMs / 1000} s after Interrupt: returning to the notebook; it stops at its next decoder step`);
      runFallback();
    }, h.graceMs).unref();
  };
  // Ours must be the only SIGINT listener, the others (tslab's) called only when we decide. They
  // come back after every cell's synchronous part: vm's breakOnSigint takes every listener off
  // while it runs and re-adds them after, so adopt each one as it is added.
  const adopt = (listener: SigintListener): void => {
    if (listener === onSigint) return;
    process.off('SIGINT', listener);
    if (!h.fallback.includes(listener)) h.fallback.push(listener);
  };
  // Wired after the current synchronous code: during a cell's synchronous part vm's SIGINT
  // watchdog owns the signal, and a listener added then is left without a signal handler (the
  // next SIGINT killed the kernel).
  queueMicrotask(() => {
    process.on('SIGINT', onSigint);
    for (const l of process.rawListeners('SIGINT')) adopt(l as SigintListener);
    process.on('newListener', (event: string | symbol, listener: SigintListener) => {
      // 'newListener' fires before the listener is added: take it off right after.
      if (event === 'SIGINT' && listener !== onSigint) queueMicrotask(() => adopt(listener));
    });
  });
  return true;
}

/** The kernel's signal for the running cell: aborted already when this cell was interrupted. */
function currentSignal(h: InterruptHub): AbortSignal {
  return h.interruptedCell === process.stdout.write ? AbortSignal.abort(new KernelInterrupt()) : h.controller.signal;
}

/** The signal Kernel > Interrupt aborts, for your own loops in a cell (undefined outside tslab). */
export function kernelInterruptSignal(): AbortSignal | undefined {
  if (!hub()) installKernelInterrupt();
  const h = hub();
  return h ? currentSignal(h) : undefined;
}

/** An operation running under the kernel's interrupt: observe `signal`, call close() when done. */
export interface InterruptScope {
  /** The caller's signal combined with the kernel's (just the caller's outside tslab). */
  readonly signal: AbortSignal | undefined;
  close(): void;
}

/** Enters an interruptible operation (generate, a sweep). */
export function interruptible(signal?: AbortSignal): InterruptScope {
  if (!hub()) installKernelInterrupt();
  const h = hub();
  if (!h) return { signal, close: () => undefined };
  const token = {};
  h.active.add(token);
  // Started by a cell that was interrupted already (e.g. a generate after a model load that
  // tslab's own interrupt stopped waiting for), it stops at once instead of running on unseen.
  const kernel = currentSignal(h);
  return {
    signal: signal ? AbortSignal.any([signal, kernel]) : kernel,
    close: () => {
      h.active.delete(token);
    },
  };
}

// In the kernel, from the first import of the library on: an interrupt that comes before any
// generate (during a model load, say) must still mark its cell as interrupted.
if (inTslabKernel()) installKernelInterrupt();
