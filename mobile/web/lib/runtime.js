// LiteRT.js loading, and each model with the metadata JSON the exporter wrote beside it.
import {loadLiteRt, loadAndCompile, Tensor} from '../vendor/litertjs-core/dist/index.js';

let ready = null;

/** Loads LiteRT's wasm once, from this origin (vendor/, copied from node_modules). `threads`:
 * the threaded build where the page is cross-origin isolated (SharedArrayBuffer), else plain. */
export function loadRuntime(base = new URL('../vendor/litertjs-core/wasm/', import.meta.url).href) {
  if (!ready) {
    const threads = globalThis.crossOriginIsolated === true;
    ready = loadLiteRt(base, {threads}).then(() => ({threads}));
  }
  return ready;
}

/** A compiled model: `run(inputs)` takes Float32Arrays in the model's input order and gives
 * Float32Arrays in its output order; `inputs` / `outputs` are the details from the metadata
 * JSON where there is one (shapes, ranges, layer names), else from the file. */
export class Model {
  static async load(url, metadataUrl = null, accelerator = 'wasm') {
    await loadRuntime();
    const [bytes, meta] = await Promise.all([
      fetch(url).then((r) => { if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`); return r.arrayBuffer(); }),
      metadataUrl ? fetch(metadataUrl).then((r) => r.json()) : Promise.resolve(null)]);
    const compiled = await loadAndCompile(new Uint8Array(bytes), {accelerator});
    return new Model(compiled, meta, url);
  }

  constructor(compiled, meta, url) {
    this.compiled = compiled;
    this.meta = meta;
    this.url = url;
    const detail = (d) => ({name: d.name, shape: Array.from(d.shape), dtype: d.dtype});
    this.inputs = meta ? meta.inputs : compiled.getInputDetails().map(detail);
    this.outputs = meta ? meta.outputs : compiled.getOutputDetails().map(detail);
    this.fileInputs = compiled.getInputDetails().map(detail);
  }

  /** Output index of the metadata output named `layer` (e.g. DeepWarp's 'flow'). */
  outputIndex(layer) {
    const i = this.outputs.findIndex((o) => o.layer === layer || o.name === layer);
    if (i < 0) throw new Error(`${this.url}: no output ${layer}`);
    return i;
  }

  async run(arrays) {
    const tensors = arrays.map((a, i) => new Tensor(a, this.fileInputs[i].shape));
    try {
      const outs = await this.compiled.run(tensors);
      const values = outs.map((t) => Float32Array.from(t.toTypedArray()));
      outs.forEach((t) => t.delete());
      return values;
    } finally {
      tensors.forEach((t) => t.delete());
    }
  }
}

/** models/index.json: what `npm run models` made. */
export async function modelIndex(base = new URL('../models/', import.meta.url).href) {
  const r = await fetch(new URL('index.json', base));
  if (!r.ok) throw new Error('models/index.json is missing: run `npm run models`');
  return {base, ...(await r.json())};
}

export async function loadById(index, id) {
  const entry = index.models.find((m) => m.id === id);
  if (!entry) throw new Error(`model ${id} is not in models/index.json`);
  return Model.load(new URL(entry.file, index.base).href,
                    entry.metadata ? new URL(entry.metadata, index.base).href : null);
}
