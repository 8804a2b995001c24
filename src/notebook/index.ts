// Notebook-facing helpers (tslab kernel): display bundles, model folders for the notebooks,
// MOS figure and simulated raters for dry runs of a listening test.
export * from './mime.js';
export * from './display.js';
export * from './models.js';
export { mosFigure } from './mosFigure.js';
export { simulateRaters, type SimulatedRatersOptions, type SimulationSummary } from './mosSimulation.js';
export { installKernelInterrupt, kernelInterruptSignal, type KernelInterruptOptions } from '../kernelInterrupt.js';
