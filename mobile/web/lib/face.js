// MediaPipe face detection -> face mesh -> iris, then DeepWarp's 7 eye landmarks: a line-by-line
// port of zoo/models/deepwarp/facemesh.py (same constants, same order; see its docstring).
import {regionToPhoto, sampleRegion, scaled} from './image.js';

export const DETECTOR_SIZE = 128;
export const ANCHOR_STRIDES = [8, 16, 16, 16];
export const ANCHORS_PER_LAYER = 2;
export const BOX_SCALE = 128.0;
export const NUM_KEYPOINTS = 6;
export const SCORE_CLIP = 100.0;
export const MIN_SCORE = 0.5;
export const NMS_IOU = 0.3;
export const FACE_ROI_SCALE = 1.5;
export const MESH_SIZE = 192;
export const NUM_MESH_POINTS = 468;
export const MIN_PRESENCE = 0.5;
export const EYE_CORNERS = [[33, 133], [362, 263]];
export const EYE_ROI_SCALE = 2.3;
export const IRIS_SIZE = 64;
export const NUM_CONTOUR = 71;
export const NUM_IRIS = 5;
export const LID_CONTOUR = 16;

export function ssdAnchors(size = DETECTOR_SIZE, strides = ANCHOR_STRIDES, perLayer = ANCHORS_PER_LAYER) {
  const anchors = [];
  let i = 0;
  while (i < strides.length) {
    let j = i;
    while (j < strides.length && strides[j] === strides[i]) j++;
    const cells = Math.ceil(size / strides[i]);
    const count = (j - i) * perLayer;
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let c = 0; c < count; c++) anchors.push([(x + 0.5) / cells, (y + 0.5) / cells]);
      }
    }
    i = j;
  }
  return anchors;
}
const ANCHORS = ssdAnchors();

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const area = (b) => (b[2] - b[0]) * (b[3] - b[1]);
function iou(a, b) {
  const x0 = Math.max(a[0], b[0]), y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[2], b[2]), y1 = Math.min(a[3], b[3]);
  const inter = Math.max(x1 - x0, 0) * Math.max(y1 - y0, 0);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Weighted NMS over [{box, keypoints, score}] (facemesh.weighted_nms; stable on ties). */
export function weightedNms(dets, threshold = NMS_IOU) {
  let order = dets.map((d, i) => i).sort((a, b) => dets[b].score - dets[a].score || a - b);
  const out = [];
  while (order.length) {
    const best = dets[order[0]];
    const overlap = order.map((i) => iou(best.box, dets[i].box));
    let group = order.filter((_, n) => overlap[n] > threshold);
    let rest = order.filter((_, n) => overlap[n] <= threshold);
    if (!group.includes(order[0])) { group = order.slice(0, 1); rest = order.slice(1); }
    let wsum = 0;
    const box = [0, 0, 0, 0], kps = dets[0].keypoints.map(() => [0, 0]);
    for (const i of group) wsum += dets[i].score;
    for (const i of group) {
      const w = dets[i].score;
      for (let c = 0; c < 4; c++) box[c] += dets[i].box[c] * w;
      dets[i].keypoints.forEach((p, k) => { kps[k][0] += p[0] * w; kps[k][1] += p[1] * w; });
    }
    out.push({box: box.map((v) => v / wsum), keypoints: kps.map(([x, y]) => [x / wsum, y / wsum]),
              score: best.score});
    order = rest;
  }
  return out;
}

const bySize = (values) => Object.fromEntries(values.map((v) => [v.length, v]));

async function detectInRegion(img, region, detector) {
  const tensor = scaled(sampleRegion(img, region, DETECTOR_SIZE, "zero"), 127.5, -1);
  const out = bySize(await detector.run([tensor]));
  const raw = out[ANCHORS.length * 16], cls = out[ANCHORS.length];
  const dets = [];
  ANCHORS.forEach(([ax, ay], n) => {
    const score = sigmoid(Math.min(Math.max(cls[n], -SCORE_CLIP), SCORE_CLIP));
    if (score < MIN_SCORE) return;
    const r = raw.subarray(n * 16, n * 16 + 16);
    const cx = r[0] / BOX_SCALE + ax, cy = r[1] / BOX_SCALE + ay;
    const hw = r[2] / BOX_SCALE / 2, hh = r[3] / BOX_SCALE / 2;
    const [bx0, by0] = regionToPhoto(region, cx - hw, cy - hh);
    const [bx1, by1] = regionToPhoto(region, cx + hw, cy + hh);
    const keypoints = [];
    for (let k = 0; k < NUM_KEYPOINTS; k++) {
      keypoints.push(regionToPhoto(region, r[4 + 2 * k] / BOX_SCALE + ax, r[5 + 2 * k] / BOX_SCALE + ay));
    }
    dets.push({box: [bx0, by0, bx1, by1], keypoints, score});
  });
  return dets.length ? weightedNms(dets) : [];
}

export async function detectFaces(img, detector) {
  const {width: w, height: h} = img;
  const found = await detectInRegion(img, {cx: w / 2, cy: h / 2, side: Math.max(w, h), angle: 0, flip: false}, detector);
  if (found.length) return found;
  const side = Math.min(w, h) / 2;
  if (side < DETECTOR_SIZE) return [];
  const step = side / 2;
  const nx = Math.max(1, Math.ceil((w - side) / step)) + 1, ny = Math.max(1, Math.ceil((h - side) / step)) + 1;
  let every = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const cx = side / 2 + Math.min(i * step, w - side), cy = side / 2 + Math.min(j * step, h - side);
      every = every.concat(await detectInRegion(img, {cx, cy, side, angle: 0, flip: false}, detector));
    }
  }
  return every.length ? weightedNms(every) : [];
}

const normalize = (a) => a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));

export function faceRegion(det) {
  const [x0, y0, x1, y1] = det.box;
  const [[ax, ay], [bx, by]] = det.keypoints;
  return {cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, side: FACE_ROI_SCALE * Math.max(x1 - x0, y1 - y0),
          angle: normalize(Math.atan2(by - ay, bx - ax)), flip: false};
}

export function eyeRegion(a, b, flip) {
  return {cx: (a[0] + b[0]) / 2, cy: (a[1] + b[1]) / 2,
          side: EYE_ROI_SCALE * Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])),
          angle: normalize(Math.atan2(b[1] - a[1], b[0] - a[0])), flip};
}

/** Steps 1-5 on the photo's best face: {detection, region, points (468 x [x, y]), eyes:
 * [{region, contour (71 x [x, y]), iris (5 x [x, y])}]}; null where there is no face. */
export async function faceMesh(img, models, faces = null) {
  faces = faces || await detectFaces(img, models.detector);
  if (!faces.length) return null;
  const sorted = faces.map((d, i) => [d, i]).sort((a, b) => b[0].score - a[0].score || a[1] - b[1]);
  for (const [detection] of sorted) {
    const region = faceRegion(detection);
    const out = bySize(await models.mesh.run([scaled(sampleRegion(img, region, MESH_SIZE), 255)]));
    const presence = sigmoid(out[1][0]);
    if (presence < MIN_PRESENCE) continue;
    const raw = out[NUM_MESH_POINTS * 3];
    const points = [];
    for (let p = 0; p < NUM_MESH_POINTS; p++) {
      // float32 / int stays float32 in NumPy: Math.fround as facemesh.py's raw / MESH_SIZE
      points.push(regionToPhoto(region, Math.fround(raw[3 * p] / MESH_SIZE), Math.fround(raw[3 * p + 1] / MESH_SIZE)));
    }
    const eyes = [];
    for (const [[a, b], flip] of [[EYE_CORNERS[0], false], [EYE_CORNERS[1], true]]) {
      const eye = eyeRegion(points[a], points[b], flip);
      const o = bySize(await models.iris.run([scaled(sampleRegion(img, eye, IRIS_SIZE), 255)]));
      const c = o[NUM_CONTOUR * 3], ir = o[NUM_IRIS * 3];
      const contour = [], iris = [];
      for (let p = 0; p < NUM_CONTOUR; p++) contour.push(regionToPhoto(eye, Math.fround(c[3 * p] / IRIS_SIZE), Math.fround(c[3 * p + 1] / IRIS_SIZE)));
      for (let p = 0; p < NUM_IRIS; p++) iris.push(regionToPhoto(eye, Math.fround(ir[3 * p] / IRIS_SIZE), Math.fround(ir[3 * p + 1] / IRIS_SIZE)));
      eyes.push({region: eye, contour, iris});
    }
    return {detection, region, presence, points, eyes};
  }
  return null;
}

function lidPoint(lid, origin, axis, t) {
  const s = lid.map((p) => (p[0] - origin[0]) * axis[0] + (p[1] - origin[1]) * axis[1]);
  let idx = s.findIndex((v) => v >= t);  // np.searchsorted(s, t) (side 'left')
  if (idx < 0) idx = s.length;
  const k = Math.min(Math.max(idx - 1, 0), s.length - 2);
  const f = s[k + 1] === s[k] ? 0 : (t - s[k]) / (s[k + 1] - s[k]);
  return [lid[k][0] + f * (lid[k + 1][0] - lid[k][0]), lid[k][1] + f * (lid[k + 1][1] - lid[k][1])];
}

/** facemesh.deepwarp_landmarks: DeepWarp's 7 points, photo pixels (centres at integers). */
export function deepwarpLandmarks(contour, irisCentre) {
  const c = contour.slice(0, LID_CONTOUR);
  let first = c[0], second = c[8], lower = c.slice(1, 8), upper = c.slice(9, 16);
  if (first[0] > second[0]) {
    [first, second] = [second, first];
    lower = lower.slice().reverse(); upper = upper.slice().reverse();
  }
  const length = Math.hypot(second[0] - first[0], second[1] - first[1]);
  const axis = [(second[0] - first[0]) / length, (second[1] - first[1]) / length];
  const proj = (p) => (p[0] - first[0]) * axis[0] + (p[1] - first[1]) * axis[1];
  const sortLine = (line) => line.map((p, i) => [p, i]).sort((a, b) => proj(a[0]) - proj(b[0]) || a[1] - b[1]).map((x) => x[0]);
  const upperLine = sortLine([first, ...upper, second]);
  const lowerLine = sortLine([first, ...lower, second]);
  const [u1, u2] = [1 / 3, 2 / 3].map((t) => lidPoint(upperLine, first, axis, t * length));
  const [l1, l2] = [1 / 3, 2 / 3].map((t) => lidPoint(lowerLine, first, axis, t * length));
  return [first, u1, u2, second, l2, l1, irisCentre].map(([x, y]) => [Math.fround(x), Math.fround(y)]);
}

/** DeepWarp's landmarks of both eyes, the photo's left eye first (facemesh.eye_landmarks). */
export function eyeLandmarks(mesh) {
  const marks = mesh.eyes.map((e) => deepwarpLandmarks(e.contour, e.iris[0]));
  const meanX = (m) => (m[0][0] + m[1][0] + m[2][0] + m[3][0]) / 4;
  return marks.sort((a, b) => meanX(a) - meanX(b));
}

/** Loads the three face models listed in models/index.json. */
export async function loadFaceModels(index, loadById) {
  const [detector, mesh, iris] = await Promise.all(
    ['face_detection_short_range', 'face_landmark', 'iris_landmark'].map((id) => loadById(index, id)));
  return {detector, mesh, iris};
}
