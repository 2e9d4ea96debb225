// Gaze correction: a port of zoo/models/deepwarp/eyes.py (eye_box, crop_eye, box_landmarks)
// and gaze.py (blend_eye with its raised-cosine FEATHER), same formulas, same order.
import {cropEye} from './image.js';

export const FEATHER = 0.25;  // gaze.FEATHER
export const BOX_SCALE = 1.5;  // eyes.eye_box scale
export const MAX_ANGLE = 15.0;  // eyes.MAX_ANGLE

/** eyes.eye_box: (x0, y0, x1, y1) around the corners (landmarks 0 and 3). */
export function eyeBox(marks, size, scale = BOX_SCALE) {
  const [h, w] = size;
  const a = marks[0], b = marks[3];
  const cx = (a[0] + b[0]) / 2 + 0.5, cy = (a[1] + b[1]) / 2 + 0.5;
  const width = scale * Math.hypot(b[0] - a[0], b[1] - a[1]);
  const height = width * h / w;
  return [cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2];
}

/** eyes.box_landmarks: photo pixels -> patch pixels, float32. */
export function boxLandmarks(marks, box, size) {
  const [h, w] = size;
  const [x0, y0, x1, y1] = box;
  const out = new Float32Array(marks.length * 2);
  marks.forEach(([x, y], k) => {
    out[2 * k] = (x + 0.5 - x0) * (w / (x1 - x0)) - 0.5;
    out[2 * k + 1] = (y + 0.5 - y0) * (h / (y1 - y0)) - 0.5;
  });
  return out;
}

function ramp(t, n) {
  const d = Math.min(t + 0.5, n - 0.5 - t) / (FEATHER * n);
  return d >= 1 ? 1.0 : 0.5 - 0.5 * Math.cos(Math.PI * Math.min(Math.max(d, 0), 1));
}

/** gaze._bilinear on an (h, w, C) Float array at (u = column, v = row), clamped. */
function bilinear(a, h, w, C, u, v, out) {
  u = Math.min(Math.max(u, 0), w - 1); v = Math.min(Math.max(v, 0), h - 1);
  const u0 = Math.min(Math.floor(u), w - 2), v0 = Math.min(Math.floor(v), h - 2);
  const fu = u - u0, fv = v - v0;
  for (let c = 0; c < C; c++) {
    const p00 = a[(v0 * w + u0) * C + c], p01 = a[(v0 * w + u0 + 1) * C + c];
    const p10 = a[((v0 + 1) * w + u0) * C + c], p11 = a[((v0 + 1) * w + u0 + 1) * C + c];
    out[c] = (1 - fv) * ((1 - fu) * p00 + fu * p01) + fv * ((1 - fu) * p10 + fu * p11);
  }
  return out;
}

/** gaze.blend_eye: warp `photo` (Float64Array H x W x 3 in [0, 1]) inside `box` by the patch
 * `flow` (h x w x 2, patch pixels) and add `change` (h x w x 3), both faded to 0 at the
 * box border. Returns a new array; pixels outside the box are untouched. */
export function blendEye(photo, H, W, box, flow, change, size) {
  const [h, w] = size;
  const [x0, y0, x1, y1] = box;
  const sx = (x1 - x0) / w, sy = (y1 - y0) / h;
  const top = Math.max(Math.floor(y0), 0), left = Math.max(Math.floor(x0), 0);
  const bottom = Math.min(Math.ceil(y1), H), right = Math.min(Math.ceil(x1), W);
  const out = photo.slice();
  const d = [0, 0], ch = [0, 0, 0], warped = [0, 0, 0];
  for (let row = top; row < bottom; row++) {
    for (let col = left; col < right; col++) {
      const u = (col + 0.5 - x0) / sx - 0.5, v = (row + 0.5 - y0) / sy - 0.5;
      const weight = ramp(u, w) * ramp(v, h);
      bilinear(flow, h, w, 2, u, v, d);
      const srcX = col + d[0] * weight * sx, srcY = row + d[1] * weight * sy;
      bilinear(photo, H, W, 3, srcX, srcY, warped);
      bilinear(change, h, w, 3, u, v, ch);
      const o = (row * W + col) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = warped[c] + weight * ch[c];
    }
  }
  return out;
}

/** gaze.redirect_gaze with the landmarks given (face.js finds them): both eyes through the
 * DeepWarp .tflite (outputs: image, flow, warp; `--also-output flow,warp`), blended back.
 * `img` RGBA ImageData-like; returns {image (RGBA bytes), eyes: [{box, patch, output, flow}]}. */
export async function redirectGaze(deepwarp, img, marks, angle) {
  const size = deepwarp.inputs[0].shape.slice(1, 3);  // [h, w] from the metadata
  const [h, w] = size;
  const iOut = deepwarp.outputIndex('output'), iFlow = deepwarp.outputIndex('flow');
  const iWarp = deepwarp.outputIndex('warp');
  const {width: W, height: H, data} = img;
  let photo = new Float64Array(W * H * 3);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) photo[3 * i + c] = data[4 * i + c] / 255;
  const eyes = [];
  for (const m of marks) {
    const box = eyeBox(m, size);
    const patch = cropEye(img, box, h, w);
    const outs = await deepwarp.run([patch, boxLandmarks(m, box, size), new Float32Array([angle])]);
    const output = outs[iOut], flow = outs[iFlow], warp = outs[iWarp];
    const change = new Float64Array(output.length);
    // float32 subtraction, as NumPy's out[i] - warped[i] on float32 arrays
    for (let i = 0; i < change.length; i++) change[i] = Math.fround(output[i] - warp[i]);
    eyes.push({box, patch, output, flow});
    photo = blendEye(photo, H, W, box, flow, change, size);
  }
  const out = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    for (let c = 0; c < 3; c++) out[4 * i + c] = roundHalfEven(photo[3 * i + c] * 255);
    out[4 * i + 3] = 255;
  }
  return {image: {data: out, width: W, height: H}, eyes};
}

function roundHalfEven(x) {  // np.round, then clip to 0..255
  let r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) r -= 1;
  return Math.min(Math.max(r, 0), 255);
}

/** One-Euro filter (Casiez et al., CHI 2012) on a flat list of coordinates: little lag when
 * the face moves, little jitter when it is still. */
export class OneEuro {
  constructor({minCutoff = 1.0, beta = 0.05, dCutoff = 1.0} = {}) {
    Object.assign(this, {minCutoff, beta, dCutoff, x: null, dx: null, t: null});
  }

  static alpha(cutoff, dt) { const r = 2 * Math.PI * cutoff * dt; return r / (r + 1); }

  filter(values, tSeconds) {
    if (this.x === null || values.length !== this.x.length) {
      this.x = values.slice(); this.dx = values.map(() => 0); this.t = tSeconds;
      return values.slice();
    }
    const dt = Math.max(tSeconds - this.t, 1e-3);
    this.t = tSeconds;
    const ad = OneEuro.alpha(this.dCutoff, dt);
    return (this.x = values.map((v, i) => {
      const dx = (v - this.x[i]) / dt;
      this.dx[i] = ad * dx + (1 - ad) * this.dx[i];
      const a = OneEuro.alpha(this.minCutoff + this.beta * Math.abs(this.dx[i]), dt);
      return a * v + (1 - a) * this.x[i];
    }));
  }
}
