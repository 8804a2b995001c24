import { inspect } from 'node:util';
import { MusicgenError } from '../errors.js';

/** An ONNX graph whose inputs/outputs do not match config.json. */
export class GraphMismatchError extends MusicgenError {}

/** Bad input to generate(): empty prompt list, text for a folder without a tokenizer, … */
export class GenerationInputError extends MusicgenError {}

/** Generation stopped by an AbortSignal (between decoder steps). */
export class AbortError extends MusicgenError {
  /**
   * One line where it is printed (a notebook cell, console.error): a stop the user asked for
   * needs no stack trace through the generation loop.
   */
  [inspect.custom](): string {
    return `${this.name}: ${this.message}`;
  }
}

/** A bad option of MusicGen.load (names the option and what it accepts). */
export class LoadOptionError extends MusicgenError {}
