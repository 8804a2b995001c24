// Moves the weights of an ONNX file written with embedded initializers into `<file>_data` (and back), as
// src/convert/serialize.ts writes them: for bench folders built before the converter wrote external
// data (build-models.js upgrades them in place) and for memory.js's layout study.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const EXTERNAL_MIN_BYTES = 1024; // as src/convert/serialize.ts

/** Calls fn on every TensorProto initializer of g and its subgraphs. */
export function forEachInitializer(g, fn) {
  for (const t of g.initializer ?? []) fn(t);
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.g) forEachInitializer(a.g, fn);
      for (const sg of a.graphs ?? []) forEachInitializer(sg, fn);
    }
  }
}

/** Moves every initializer of >= 1 kB of `src` (weights inside the protobuf) to `<dst>_data`, offsets aligned to `align`. */
export function externalize(src, dst, align) {
  const model = onnx.ModelProto.decode(readFileSync(src));
  const location = `${basename(dst)}_data`;
  const fd = openSync(join(dirname(dst), location), 'w');
  let offset = 0;
  try {
    forEachInitializer(model.graph, (t) => {
      const bytes = t.rawData;
      if (!bytes || bytes.byteLength < EXTERNAL_MIN_BYTES) return;
      const pad = (align - (offset % align)) % align;
      if (pad) writeSync(fd, new Uint8Array(pad));
      offset += pad;
      for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done);
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.externalData = [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ];
      t.rawData = new Uint8Array(0);
      offset += bytes.byteLength;
    });
  } finally {
    closeSync(fd);
  }
  writeFileSync(dst, onnx.ModelProto.encode(model).finish());
}


/** The reverse: `src`'s external weights (from `<src>_data`) back inside the protobuf, written to `dst`. */
export function internalize(src, dst) {
  const model = onnx.ModelProto.decode(readFileSync(src));
  const data = readFileSync(`${src}_data`);
  forEachInitializer(model.graph, (t) => {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return;
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    t.rawData = data.subarray(Number(kv.offset ?? 0), Number(kv.offset ?? 0) + Number(kv.length));
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  });
  writeFileSync(dst, onnx.ModelProto.encode(model).finish());
}
