// AdaIN (Huang and Belongie 2017), arbitrary style: two .tflite files that `zoo export adain`
// writes. The style encoder turns a style photo into relu4_1's mean and std (run once per
// style); the stylizer takes a photo, those statistics and alpha (run per frame). Sizes,
// ranges and input names come from each file's metadata JSON (lib/runtime.js's Model).
import {squareTensor} from './image.js';

/** The AdaIN stylizers of models/index.json whose style encoder is listed too:
 * [{stylizer, encoder}] index entries (a stylizer without its encoder is left out). */
export function adainPairs(index) {
  const byId = new Map(index.models.map((m) => [m.id, m]));
  return index.models
    .filter((m) => m.use === 'adain' && byId.get(m.style_encoder)?.use === 'adain_style_encoder')
    .map((m) => ({stylizer: m, encoder: byId.get(m.style_encoder)}));
}

/** The photo's centred square at the size of `tensor` (metadata: NHWC shape), in its
 * `value_range`, float32. */
export function imageInput(img, tensor) {
  const [, h, w] = tensor.shape;
  if (h !== w) throw new Error(`${tensor.name}: ${h}x${w}, the app feeds square inputs`);
  const [lo, hi] = tensor.value_range || [0, 1];
  return squareTensor(img, h).map((v) => lo + v * (hi - lo));
}

/** Style photo -> its statistics (Float32Array, mean then std): the encoder, once a style. */
export async function styleStatistics(encoder, img) {
  const [stats] = await encoder.run([imageInput(img, encoder.inputs[0])]);
  return stats;
}

/** alpha clipped to the metadata's `value_range` of the stylizer's `alpha` input. */
export function clipAlpha(stylizer, alpha) {
  const tensor = stylizer.inputs.find((t) => t.name === 'alpha');
  const [lo, hi] = (tensor && tensor.value_range) || [0, 1];
  return Math.min(Math.max(alpha, lo), hi);
}

/** The stylizer's inputs in its file's order, matched by name: `content` (the photo),
 * `style_statistics` (from styleStatistics), `alpha` (the content-style trade-off). */
export function stylizerInputs(stylizer, img, statistics, alpha) {
  return stylizer.inputs.map((t) => {
    const size = t.shape.reduce((a, b) => a * b);
    if (t.name === 'content') return imageInput(img, t);
    if (t.name === 'alpha') return new Float32Array(size).fill(clipAlpha(stylizer, alpha));
    if (t.name === 'style_statistics') {
      if (!statistics) throw new Error('AdaIN: pick a style photo first');
      if (statistics.length !== size) {
        throw new Error(`AdaIN: ${statistics.length} statistics, the stylizer takes ${size}`);
      }
      return statistics;
    }
    throw new Error(`AdaIN stylizer: unknown input ${t.name}`);
  });
}
