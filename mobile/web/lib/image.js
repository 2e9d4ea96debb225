// Pixel arithmetic shared by the pipelines, written to equal tools/reference.py's NumPy line by
// line (the tests compare them). Images are ImageData-like: {data: RGBA bytes, width, height}.

/** zoo.models.deepwarp.facemesh.sample_region: the square region {cx, cy, side, angle, flip}
 * of an RGBA photo as an n x n x 3 Float64Array of pixel values 0-255: tensor pixel (i, j)
 * is the photo read bilinearly at regionToPhoto(j / n, i / n) (pixel centres at integers),
 * taps outside the photo zero (`border` 'zero') or the nearest edge pixel ('replicate'):
 * MediaPipe's ImageToTensorCalculator. Same arithmetic as the NumPy, step by step. */
export function sampleRegion(img, region, n, border = 'replicate') {
  const {data, width: w, height: h} = img;
  const zero = border === 'zero';
  const out = new Float64Array(n * n * 3);
  const tap = (r, c, ch) => {
    if (zero && (r < 0 || r >= h || c < 0 || c >= w)) return 0;
    return data[(Math.min(Math.max(r, 0), h - 1) * w + Math.min(Math.max(c, 0), w - 1)) * 4 + ch];
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [x, y] = regionToPhoto(region, j / n, i / n);
      const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
      for (let ch = 0; ch < 3; ch++) {
        out[(i * n + j) * 3 + ch] =
          (1 - fy) * ((1 - fx) * tap(y0, x0, ch) + fx * tap(y0, x0 + 1, ch)) +
          fy * ((1 - fx) * tap(y0 + 1, x0, ch) + fx * tap(y0 + 1, x0 + 1, ch));
      }
    }
  }
  return out;
}

/** Region coordinates (u, v) -> photo pixels (Region.to_photo; pixel centres at integers). */
export function regionToPhoto(region, u, v) {
  u -= 0.5; v -= 0.5;
  if (region.flip) u = -u;
  const c = Math.cos(region.angle), s = Math.sin(region.angle);
  return [region.cx + region.side * (u * c - v * s), region.cy + region.side * (u * s + v * c)];
}

/** values / divisor + offset as float32 (a model input; divided, as the NumPy does). */
export function scaled(values, divisor, offset = 0) {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] / divisor + offset;
  return out;
}

function cubic(v1, v2, v3, v4, d) {  // Pillow's BICUBIC (a = -1 form used by its transforms)
  const p1 = v2, p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/** zoo.models.deepwarp.eyes.crop_eye: the `box` (x0, y0, x1, y1) resized to outW x outH the way
 * Pillow's `transform(EXTENT, BICUBIC)` does (sample at pixel centres, bicubic, clamped
 * neighbours, 0 outside the photo, truncated to uint8), / 255, float32 HWC. */
export function cropEye(img, box, outH, outW) {
  const {data, width: W, height: H} = img;
  const [x0, y0, x1, y1] = box;
  const ax = (x1 - x0) / outW, ay = (y1 - y0) / outH;
  const out = new Float32Array(outW * outH * 3);
  const clampX = (x) => Math.min(Math.max(x, 0), W - 1);
  const clampY = (y) => Math.min(Math.max(y, 0), H - 1);
  for (let j = 0; j < outH; j++) {
    for (let i = 0; i < outW; i++) {
      let xin = x0 + ax * (i + 0.5), yin = y0 + ay * (j + 0.5);
      const o = (j * outW + i) * 3;
      if (xin < 0 || xin >= W || yin < 0 || yin >= H) continue;  // fill: 0
      xin -= 0.5; yin -= 0.5;
      const xf = Math.floor(xin), yf = Math.floor(yin), dx = xin - xf, dy = yin - yf;
      const xs = [clampX(xf - 1), clampX(xf), clampX(xf + 1), clampX(xf + 2)];
      for (let ch = 0; ch < 3; ch++) {
        const rows = [];
        for (let r = -1; r <= 2; r++) {
          const row = clampY(yf + r) * W;
          rows.push(cubic(data[(row + xs[0]) * 4 + ch], data[(row + xs[1]) * 4 + ch],
                          data[(row + xs[2]) * 4 + ch], data[(row + xs[3]) * 4 + ch], dx));
        }
        const v = cubic(rows[0], rows[1], rows[2], rows[3], dy);
        out[o + ch] = (v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v)) / 255;
      }
    }
  }
  return out;
}

/** An ImageData's RGB as float32 HWC in [0, 1] (what the stylizers take). */
export function toFloatRGB(img) {
  const n = img.width * img.height, out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = img.data[4 * i] / 255;
    out[3 * i + 1] = img.data[4 * i + 1] / 255;
    out[3 * i + 2] = img.data[4 * i + 2] / 255;
  }
  return out;
}

/** float32 HWC in [0, 1] -> ImageData bytes (rounded, clipped). */
export function fromFloatRGB(values, width, height) {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let ch = 0; ch < 3; ch++) out[4 * i + ch] = Math.round(values[3 * i + ch] * 255);
    out[4 * i + 3] = 255;
  }
  return {data: out, width, height};
}

/** The photo's centred largest square as side x side float32 HWC in [0, 1], sampled as
 * sampleRegion does (what the stylizers are fed; tools/reference.py does the same). */
export function squareTensor(img, side) {
  const s = Math.min(img.width, img.height);
  const region = {cx: img.width / 2, cy: img.height / 2, side: s, angle: 0, flip: false};
  return scaled(sampleRegion(img, region, side, "replicate"), 255);
}
