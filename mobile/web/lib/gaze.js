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
  return bilinearAt((r, c, ch) => a[(r * w + c) * C + ch], h, w, C, u, v, out);
}

function bilinearAt(at, h, w, C, u, v, out) {
  u = Math.min(Math.max(u, 0), w - 1); v = Math.min(Math.max(v, 0), h - 1);
  const u0 = Math.min(Math.floor(u), w - 2), v0 = Math.min(Math.floor(v), h - 2);
  const fu = u - u0, fv = v - v0;
  for (let c = 0; c < C; c++) {
    out[c] = (1 - fv) * ((1 - fu) * at(v0, u0, c) + fu * at(v0, u0 + 1, c)) +
             fv * ((1 - fu) * at(v0 + 1, u0, c) + fu * at(v0 + 1, u0 + 1, c));
  }
  return out;
}

/** The photo as gaze.py's float64 `image / 255`, without converting every pixel: the RGBA
 * bytes, plus the boxes already blended (their float values), latest first. */
class Photo {
  constructor(img) { this.img = img; this.patches = []; }

  at(r, c, ch) {
    for (const p of this.patches) {
      if (r >= p.top && r < p.bottom && c >= p.left && c < p.right) {
        return p.values[((r - p.top) * (p.right - p.left) + (c - p.left)) * 3 + ch];
      }
    }
    return this.img.data[(r * this.img.width + c) * 4 + ch] / 255;
  }

  /** RGBA bytes: np.clip(np.round(photo * 255), 0, 255) where blended, the bytes elsewhere. */
  bytes() {
    const out = new Uint8ClampedArray(this.img.data);
    for (const p of this.patches.slice().reverse()) {
      const w = p.right - p.left;
      for (let r = p.top; r < p.bottom; r++) {
        for (let c = p.left; c < p.right; c++) {
          const o = (r * this.img.width + c) * 4, i = ((r - p.top) * w + (c - p.left)) * 3;
          for (let ch = 0; ch < 3; ch++) out[o + ch] = roundHalfEven(p.values[i + ch] * 255);
          out[o + 3] = 255;
        }
      }
    }
    return out;
  }
}

/** gaze.blend_eye: warp the photo (a Photo) inside `box` by the patch `flow` (h x w x 2, patch
 * pixels) and add `change` (h x w x 3), both faded to 0 at the box border; the box's new
 * values are added to the photo. Pixels outside the box are untouched. */
export function blendEye(photo, box, flow, change, size) {
  const [h, w] = size;
  const H = photo.img.height, W = photo.img.width;
  const [x0, y0, x1, y1] = box;
  const sx = (x1 - x0) / w, sy = (y1 - y0) / h;
  const top = Math.max(Math.floor(y0), 0), left = Math.max(Math.floor(x0), 0);
  const bottom = Math.min(Math.ceil(y1), H), right = Math.min(Math.ceil(x1), W);
  const values = new Float64Array(Math.max(bottom - top, 0) * Math.max(right - left, 0) * 3);
  const d = [0, 0], ch = [0, 0, 0], warped = [0, 0, 0];
  const at = (r, c, k) => photo.at(r, c, k);
  for (let row = top; row < bottom; row++) {
    for (let col = left; col < right; col++) {
      const u = (col + 0.5 - x0) / sx - 0.5, v = (row + 0.5 - y0) / sy - 0.5;
      const weight = ramp(u, w) * ramp(v, h);
      bilinear(flow, h, w, 2, u, v, d);
      const srcX = col + d[0] * weight * sx, srcY = row + d[1] * weight * sy;
      bilinearAt(at, H, W, 3, srcX, srcY, warped);
      bilinear(change, h, w, 3, u, v, ch);
      const o = ((row - top) * (right - left) + (col - left)) * 3;
      for (let c = 0; c < 3; c++) values[o + c] = warped[c] + weight * ch[c];
    }
  }
  photo.patches.unshift({top, left, bottom, right, values});
  return photo;
}

/** gaze.redirect_gaze with the landmarks given (face.js finds them): both eyes through the
 * DeepWarp .tflite (outputs: image, flow, warp; `--also-output flow,warp`), blended back.
 * `img` RGBA ImageData-like; returns {image (RGBA bytes), eyes: [{box, patch, output, flow}]}. */
export async function redirectGaze(deepwarp, img, marks, angle) {
  const size = deepwarp.inputs[0].shape.slice(1, 3);  // [h, w] from the metadata
  const [h, w] = size;
  const iOut = deepwarp.outputIndex('output'), iFlow = deepwarp.outputIndex('flow');
  const iWarp = deepwarp.outputIndex('warp');
  const photo = new Photo(img);
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
    blendEye(photo, box, flow, change, size);
  }
  return {image: {data: photo.bytes(), width: img.width, height: img.height}, eyes};
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
