// Child of test/convert/mappedDecoder.test.ts: rewrites one embedded decoder file with its weights mapped.
import { mapDecoderWeights } from '../../src/convert/mapDecoderWeights.js';

process.stdout.write(`${JSON.stringify(mapDecoderWeights(process.argv[2]))}\n`);
