// The MNIST steps of digitlib.preprocess, for the sketchpad page: an ink map in, the 28x28
// image the network reads out. Each function mirrors the Python function of the same name
// (ink_box, fit_to_box, center_in_frame, ...) closely enough that the page and the Python
// Recognizer see the same image; tests/test_sketchpad.py checks that in a real browser.
//
// An ink map is {data: Float32Array, width, height}: 1 where there is ink, 0 where there is none.
// Numbers are kept in float32 wherever NumPy keeps them in float32 (Math.fround), because a
// threshold such as "ink > 0.2" can fall either side of a value like 51/255 otherwise.

export const BOX = 20; // the longer side of the digit inside the frame
export const FRAME = 28;
const MIN_INK_FRACTION = 0.0005; // fewer ink pixels than this share of the canvas is a speck
const f32 = Math.fround;

/** Ink of a canvas: its alpha channel, as Python reads the alpha of a sketchpad layer. */
export function inkFromCanvas(canvas) {
  const { width, height } = canvas;
  const rgba = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  return inkFromAlpha(rgba, width, height, 4, 3);
}

/** Ink from 8-bit samples (`stride` bytes a pixel, the alpha at `offset`), scaled to [0, 1]. */
export function inkFromAlpha(bytes, width, height, stride = 1, offset = 0) {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = f32(bytes[i * stride + offset] / 255);
  return { data, width, height };
}

/** Is there enough ink to be a digit? (has_ink) */
export function hasInk(ink) {
  const level = f32(0.2);
  let count = 0;
  for (const v of ink.data) if (v > level) count++;
  return count >= Math.max(4, MIN_INK_FRACTION * ink.data.length);
}

/** The ink's bounding box, end-exclusive, or null when there is none. (ink_box) */
export function inkBox(ink, level = 0.05) {
  const { data, width, height } = ink;
  const lv = f32(level);
  let top = height, left = width, bottom = -1, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] > lv) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  return bottom < 0 ? null : { top, left, bottom: bottom + 1, right: right + 1 };
}

/** Python's round(): halves go to the even neighbour (round(10.5) == 10). */
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Pillow's resampling filters (libImaging/Resample.c), which fit_to_box uses through
// Image.resize: LANCZOS when shrinking, BILINEAR when enlarging.
function sinc(x) {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}
const LANCZOS = { support: 3, filter: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) };
const BILINEAR = { support: 1, filter: (x) => Math.max(0, 1 - Math.abs(x)) };

// Pillow's precompute_coeffs: for each output pixel, the first input pixel, how many follow,
// and their weights. When shrinking, the filter is stretched over the input (anti-aliasing).
function coefficients(inSize, outSize, { support: filterSupport, filter }) {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filterSupport * filterScale;
  const ss = 1 / filterScale;
  const taps = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const last = Math.min(inSize, Math.trunc(center + support + 0.5));
    const weights = [];
    let total = 0;
    for (let x = first; x < last; x++) {
      const w = filter((x - center + 0.5) * ss);
      weights.push(w);
      total += w;
    }
    if (total !== 0) for (let i = 0; i < weights.length; i++) weights[i] /= total;
    taps.push({ first, weights });
  }
  return taps;
}

// Image.resize on a float32 ("F") image: a horizontal pass into a float32 image, then a
// vertical one; a pass whose size does not change is skipped, as Pillow skips it.
function resize(src, width, height, outWidth, outHeight, kind) {
  let img = src, w = width;
  if (outWidth !== width) {
    const taps = coefficients(width, outWidth, kind);
    const out = new Float32Array(outWidth * height);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outWidth; xx++) {
        const { first, weights } = taps[xx];
        let sum = 0;
        for (let i = 0; i < weights.length; i++) sum += img[y * w + first + i] * weights[i];
        out[y * outWidth + xx] = sum;
      }
    }
    img = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const taps = coefficients(height, outHeight, kind);
    const out = new Float32Array(w * outHeight);
    for (let yy = 0; yy < outHeight; yy++) {
      const { first, weights } = taps[yy];
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let i = 0; i < weights.length; i++) sum += img[(first + i) * w + x] * weights[i];
        out[yy * w + x] = sum;
      }
    }
    img = out;
  }
  return img;
}

/** Crop to the ink, scale the longer side to `box` pixels, keep the aspect ratio. (fit_to_box) */
export function fitToBox(ink, box = BOX) {
  const b = inkBox(ink);
  if (b === null) return { data: new Float32Array(box * box), width: box, height: box };
  const h = b.bottom - b.top, w = b.right - b.left;
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    crop.set(ink.data.subarray((b.top + y) * ink.width + b.left, (b.top + y) * ink.width + b.right), y * w);
  }
  const scale = box / Math.max(h, w);
  const outW = Math.max(1, roundHalfEven(w * scale));
  const outH = Math.max(1, roundHalfEven(h * scale));
  const out = resize(crop, w, h, outW, outH, scale < 1 ? LANCZOS : BILINEAR);
  // Lanczos rings slightly below zero next to a stroke; then the brightest pixel becomes 1.
  let peak = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] < 0) out[i] = 0;
    if (out[i] > peak) peak = out[i];
  }
  if (peak > 0) for (let i = 0; i < out.length; i++) out[i] = f32(out[i] / peak);
  return { data: out, width: outW, height: outH };
}

/** The (row, column) centre of mass of an image's intensity. (center_of_mass) */
export function centerOfMass(image) {
  const { data, width, height } = image;
  let total = 0, rows = 0, cols = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      total += v;
      rows += y * v;
      cols += x * v;
    }
  }
  if (total <= 0) return [(height - 1) / 2, (width - 1) / 2];
  return [rows / total, cols / total];
}

/** Place the digit in a frame x frame square, centre of mass in the middle. (center_in_frame) */
export function centerInFrame(digit, frame = FRAME) {
  const [cy, cx] = centerOfMass(digit);
  const middle = (frame - 1) / 2;
  const top = roundHalfEven(middle - cy);
  const left = roundHalfEven(middle - cx);
  // As in MNIST, the centre of mass wins: ink pushed past the frame's edge is cut off.
  const out = new Float32Array(frame * frame);
  for (let y = 0; y < digit.height; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= frame) continue;
    for (let x = 0; x < digit.width; x++) {
      const fx = left + x;
      if (fx >= 0 && fx < frame) out[fy * frame + fx] = digit.data[y * digit.width + x];
    }
  }
  return out;
}

/** The MNIST steps on an ink map: a Float32Array(28 * 28) in [0, 1], or null without ink. */
export function inkToMnist(ink) {
  if (!hasInk(ink)) return null;
  return centerInFrame(fitToBox(ink));
}
