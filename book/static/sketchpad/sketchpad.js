// The "Try it" page: a canvas to draw on, the book's network run by ONNX Runtime Web, the ten
// probabilities as bars and the 28x28 image the network read. Everything it loads comes from
// the book's own _static/sketchpad/ folder: this module, mnist.js, the model (digit_cnn.onnx)
// and the runtime (ort/), the last two put there by `make book`.

import { FRAME, inkFromAlpha, inkFromCanvas, inkToMnist } from "./mnist.js";

const RUNTIME = new URL("ort/ort.wasm.min.mjs", import.meta.url);
const MODEL = new URL("digit_cnn.onnx", import.meta.url);
const PEN = 18; // pen width on the 280x280 canvas: MNIST's strokes are about a tenth of a digit
const SERVE = "python -m http.server -d book/_build/html";

const $ = (id) => document.getElementById(id);
const canvas = $("sketchpad-canvas");
const ctx = canvas.getContext("2d", { willReadFrequently: true });
const seen = $("sketchpad-input");
const status = $("sketchpad-status");
const answer = $("sketchpad-answer");
const bars = [];
const timings = {};

let ort = null;
let session = null;

function say(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("sketchpad-error", isError);
}

function buildBars() {
  const box = $("sketchpad-bars");
  for (let d = 0; d < 10; d++) {
    const row = document.createElement("div");
    row.className = "sketchpad-bar";
    row.dataset.digit = String(d);
    row.innerHTML = `<span class="sketchpad-digit">${d}</span><span class="sketchpad-track">` +
      `<span class="sketchpad-fill"></span></span><span class="sketchpad-pct">0%</span>`;
    box.append(row);
    bars.push(row);
  }
}

// --- the network ------------------------------------------------------------------------------

async function load() {
  const start = performance.now();
  try {
    ort = await import(RUNTIME.href);
  } catch (err) {
    throw new Error(location.protocol === "file:"
      ? `your browser does not run this page from a file. Serve the book instead: ${SERVE}, ` +
        "then open http://localhost:8000/book/tryit.html"
      : `the runtime (ort/) is missing from this build of the book: build it with make book (${err})`);
  }
  ort.env.wasm.wasmPaths = new URL("ort/", import.meta.url).href;
  // Threads need cross-origin isolation headers that static hosts do not send; one is plenty.
  ort.env.wasm.numThreads = 1;
  try {
    session = await ort.InferenceSession.create(MODEL.href, { executionProviders: ["wasm"] });
  } catch (err) {
    throw new Error(`could not load the model (digit_cnn.onnx): ${err.message || err}. ` +
      `Build the book with make book, and serve it: ${SERVE}`);
  }
  timings.loadMs = performance.now() - start;
  const t = performance.now();
  await classify(new Float32Array(FRAME * FRAME)); // the first run sets up the kernels
  timings.firstRunMs = performance.now() - t;
  timings.readyAt = performance.now(); // since the page's navigation began
}

// ONNX Runtime runs one request at a time on a session: requests wait their turn here.
let queue = Promise.resolve();
function classify(image28) {
  const run = queue.then(async () => {
    const input = new ort.Tensor("float32", image28, [1, FRAME, FRAME, 1]);
    const out = await session.run({ [session.inputNames[0]]: input });
    return Float32Array.from(out[session.outputNames[0]].data);
  });
  queue = run.catch(() => {});
  return run;
}

/** Read one ink map: the 28x28 image and the network's answer (digit null without ink). */
async function read(ink) {
  const start = performance.now();
  const image = inkToMnist(ink);
  if (image === null) return { image: null, probabilities: null, digit: null, ms: 0 };
  const ready = performance.now();
  const probabilities = await classify(image);
  let digit = 0;
  for (let d = 1; d < 10; d++) if (probabilities[d] > probabilities[digit]) digit = d;
  const end = performance.now();
  return { image, probabilities, digit, ms: end - start, preprocessMs: ready - start };
}

// --- showing the answer -----------------------------------------------------------------------

function show(result) {
  const img = seen.getContext("2d").createImageData(FRAME, FRAME);
  for (let i = 0; i < FRAME * FRAME; i++) {
    const v = result.image ? Math.round(result.image[i] * 255) : 0; // white ink on black
    img.data.set([v, v, v, 255], i * 4);
  }
  seen.getContext("2d").putImageData(img, 0, 0);
  bars.forEach((row, d) => {
    const p = result.probabilities ? result.probabilities[d] : 0;
    row.querySelector(".sketchpad-fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".sketchpad-pct").textContent = `${Math.round(100 * p)}%`;
    row.classList.toggle("sketchpad-top", result.digit === d);
  });
  answer.dataset.digit = result.digit === null ? "" : String(result.digit);
  answer.textContent = result.digit === null
    ? "Draw a digit in the box."
    : `The network reads a ${result.digit} ` +
      `(${Math.round(100 * result.probabilities[result.digit])}% sure, ${result.ms.toFixed(1)} ms).`;
}

// Reads the canvas at most once per frame while the pen moves, and once more when it lifts.
let pending = false;
function update() {
  if (pending || !session) return;
  pending = true;
  requestAnimationFrame(async () => {
    pending = false;
    show(await read(inkFromCanvas(canvas)));
  });
}

// --- drawing ----------------------------------------------------------------------------------

function line(from, to, width = PEN) {
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#000";
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0], to[1]);
  ctx.stroke();
}

/** Draw strokes, each a list of [x, y] canvas pixels, as the pen does (`width` wide). */
function drawStrokes(strokes, width = PEN) {
  for (const stroke of strokes) {
    let from = stroke[0];
    line(from, from, width); // a tap leaves a dot
    for (const p of stroke.slice(1)) {
      line(from, p, width);
      from = p;
    }
  }
}

function clear() {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  show({ image: null, probabilities: null, digit: null, ms: 0 });
}

// Pointer events cover mouse, pen and touch alike; the canvas may be shown smaller than its
// 280x280 pixels on a phone, so positions are scaled.
function position(event) {
  const r = canvas.getBoundingClientRect();
  return [(event.clientX - r.left) * (canvas.width / r.width),
          (event.clientY - r.top) * (canvas.height / r.height)];
}

let last = null; // where the pen is, while it touches the canvas
let pointer = null; // which pointer draws: a second finger does not join the stroke
canvas.addEventListener("pointerdown", (event) => {
  if (pointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  pointer = event.pointerId;
  last = position(event);
  line(last, last);
  update();
});
canvas.addEventListener("pointermove", (event) => {
  if (event.pointerId !== pointer) return;
  // Fast strokes deliver several positions per event; use them all for smooth lines.
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const e of events.length ? events : [event]) {
    const p = position(e);
    line(last, p);
    last = p;
  }
  update();
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, (event) => {
    if (event.pointerId !== pointer) return;
    pointer = null;
    last = null;
    update();
  });
}
$("sketchpad-clear").addEventListener("click", clear);

// --- start ------------------------------------------------------------------------------------

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}

buildBars();
const ready = load().then(
  () => {
    say("Ready: draw a digit in the box.");
    canvas.classList.add("sketchpad-ready");
    clear();
  },
  (err) => {
    say(`The sketchpad cannot start: ${err.message}`, true);
    throw err;
  },
);

// For the tests and the benchmark: the same steps the pen triggers, on given ink or strokes.
window.digitsSketchpad = {
  ready,
  timings,
  drawStrokes,
  clear,
  readCanvas: async () => {
    const result = await read(inkFromCanvas(canvas));
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    return { ...pack(result), alpha: toBase64(rgba.filter((_, i) => i % 4 === 3)) };
  },
  /** Read 8-bit ink maps given as base64 strings of width x height bytes. */
  readMany: async (inks, width, height) => {
    const out = [];
    for (const text of inks) out.push(pack(await read(inkFromAlpha(fromBase64(text), width, height))));
    return out;
  },
};

function pack(result) {
  return {
    digit: result.digit,
    ms: result.ms,
    preprocessMs: result.preprocessMs,
    image: result.image ? Array.from(result.image) : null,
    probabilities: result.probabilities ? Array.from(result.probabilities) : null,
  };
}
