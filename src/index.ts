export { MusicgenError } from './errors.js';
