// Pixel arithmetic shared by the pipelines, written to equal tools/reference.py's NumPy line by
// line (the tests compare them). Images are ImageData-like: {data: RGBA bytes, width, height}.

/** zoo.models.deepwarp.facemesh.sample_region: the square region {cx, cy, side, angle, flip}
 * of an RGBA photo as an n x n x 3 Float64Array of pixel values 0-255: where a region pixel
 * spans k = floor(side / n) >= 2 photo pixels, the photo is first reduced by k x k box means
 * (blocks aligned at the region's bounding box less 2k), then read bilinearly; `border`
 * 'zero' or 'replicate'. Same arithmetic as the NumPy, step by step. */
export function sampleRegion(img, region, n, border = 'replicate') {
  const {data, width: w, height: h} = img;
  const zero = border === 'zero';
  const k = Math.max(1, Math.floor(region.side / n));
  const reach = region.side / 2 * (Math.abs(Math.cos(region.angle)) + Math.abs(Math.sin(region.angle)));
  const x0 = Math.floor(region.cx - reach) - 2 * k;
  const y0 = Math.floor(region.cy - reach) - 2 * k;
  const cols = Math.floor((Math.ceil(region.cx + reach) + 2 * k - x0 + k - 1) / k) * k;
  const rows = Math.floor((Math.ceil(region.cy + reach) + 2 * k - y0 + k - 1) / k) * k;
  const bw = cols / k, bh = rows / k;
  const block = new Float64Array(bw * bh * 3);
  for (let r = 0; r < bh; r++) {
    for (let c = 0; c < bw; c++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let dy = 0; dy < k; dy++) {
        const y = y0 + r * k + dy;
        const yIn = y >= 0 && y < h, yc = Math.min(Math.max(y, 0), h - 1);
        for (let dx = 0; dx < k; dx++) {
          const x = x0 + c * k + dx;
          if (zero && (!yIn || x < 0 || x >= w)) continue;
          const o = (yc * w + Math.min(Math.max(x, 0), w - 1)) * 4;
          s0 += data[o]; s1 += data[o + 1]; s2 += data[o + 2];
        }
      }
      const o = (r * bw + c) * 3;
      block[o] = s0 / (k * k); block[o + 1] = s1 / (k * k); block[o + 2] = s2 / (k * k);
    }
  }
  const out = new Float64Array(n * n * 3);
  const cos = Math.cos(region.angle), sin = Math.sin(region.angle);
  const at = (r, c, ch) => {
    if (zero && (r < 0 || r >= bh || c < 0 || c >= bw)) return 0;
    return block[(Math.min(Math.max(r, 0), bh - 1) * bw + Math.min(Math.max(c, 0), bw - 1)) * 3 + ch];
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let u = (j + 0.5) / n - 0.5;
      const v = (i + 0.5) / n - 0.5;
      if (region.flip) u = -u;
      const px = (region.cx + region.side * (u * cos - v * sin) - x0) / k - 0.5;
      const py = (region.cy + region.side * (u * sin + v * cos) - y0) / k - 0.5;
      const xf = Math.floor(px), yf = Math.floor(py), fx = px - xf, fy = py - yf;
      for (let ch = 0; ch < 3; ch++) {
        out[(i * n + j) * 3 + ch] =
          (1 - fy) * ((1 - fx) * at(yf, xf, ch) + fx * at(yf, xf + 1, ch)) +
          fy * ((1 - fx) * at(yf + 1, xf, ch) + fx * at(yf + 1, xf + 1, ch));
      }
    }
  }
  return out;
}

/** Region coordinates (u, v) in [0, 1] -> continuous photo coordinates (Region.to_photo). */
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
