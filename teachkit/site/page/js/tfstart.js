// TF.js's start: the backend, the model and its warm-up, begun while Pyodide starts.
//
// Starting things is the loader's job (as Pyodide's own loader starts Python). The page's logic,
// the preprocessing and the "not sure" rule stay in Python, which takes the started model over
// (teachkit_app.main). The backend: ?backend= forces one first. Otherwise the WebGL renderer's
// name decides where it can: a graphics chip's name (Intel, NVIDIA, AMD, ...) tries WebGL, wasm,
// cpu; a WebGL drawn in software (SwiftShader, llvmpipe) goes after wasm, which is faster on the
// CPU (measured: ready in 8.8 s on SwiftShader's WebGL, 5.6 s on wasm). Any other name ("Apple
// GPU" in WebKit, which was 3-5x slower on WebGL than on wasm there) says nothing: the model is
// timed on WebGL and on wasm and the faster is kept, remembered in localStorage for this TF.js
// and this input shape, so that the next start does not time again.
"use strict";
(function () {
  const ORDER = ["webgl", "wasm", "cpu"];
  const SOFTWARE = /swiftshader|llvmpipe|softpipe|software rasterizer|basic render driver/i;
  /** Names that can only be a graphics chip. WebKit's "Apple GPU" is not one: it names no chip. */
  const HARDWARE = /\b(intel|nvidia|geforce|quadro|amd|radeon|adreno|mali|powervr|immortalis|videocore|apple m\d)/i;
  /** What is timed when the name says nothing, and in what order. */
  const CANDIDATES = ["webgl", "wasm"];
  /** Predictions timed after the first (which compiles the kernels); the faster counts. */
  const TIMED = 2;
  /** localStorage: the choice and the times per backend ("teachkit.backend/<tfjs>/<shape>"), and
   * the last start's per-photo time, which the About page shows. */
  const STORE = "teachkit.backend";
  const PER_PHOTO = "teachkit.perPhoto";
  const NAMES = { webgl: "WebGL", wasm: "WebAssembly", cpu: "CPU" };

  /** The WebGL renderer's name, or null without WebGL. */
  function webglRenderer() {
    let gl = null;
    try {
      const canvas = document.createElement("canvas");
      gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
      if (!gl) return null;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    } catch (e) {
      return null;
    } finally {
      // Browsers cap live WebGL contexts: give this one back at once.
      const lose = gl && gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
    }
  }

  /** What the renderer's name tells: "none" (no WebGL), "software", "hardware" or "unknown". */
  function rendererKind(renderer) {
    if (renderer === null) return "none";
    if (SOFTWARE.test(renderer)) return "software";
    return HARDWARE.test(renderer) ? "hardware" : "unknown";
  }

  /** The backends to try, in order: ``wanted`` (?backend=) first, software WebGL after wasm. */
  function backendOrder(wanted, renderer) {
    const software = renderer !== null && SOFTWARE.test(renderer);
    const order = software ? ["wasm", "webgl", "cpu"] : ORDER.slice();
    if (!ORDER.includes(wanted)) return order;
    return [wanted, ...order.filter((name) => name !== wanted)];
  }

  /** The wasm backend loads its binaries by URL, which file:// pages cannot: blob: URLs of the
   * registered bytes. No threads: they need SharedArrayBuffer, which a static site does not get. */
  async function wasmPaths(files) {
    const urls = {};
    for (const [name, path] of Object.entries(files)) urls[name] = await teachkitAssets.blobURL(path);
    const simd = urls["tfjs-backend-wasm-simd.wasm"] || Object.values(urls)[0];
    urls["tfjs-backend-wasm-threaded-simd.wasm"] = urls["tfjs-backend-wasm-threaded-simd.wasm"] || simd;
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    tf.wasm.setWasmPaths(urls);
  }

  let wasmPathsSet = false; // TF.js refuses new paths once its wasm backend is up

  /** Make ``name`` TF.js's backend; false if it does not work here. */
  async function startOne(name, wasmFiles) {
    try {
      if (name === "wasm" && !wasmPathsSet) {
        await wasmPaths(wasmFiles);
        wasmPathsSet = true;
      }
      const ok = await tf.setBackend(name);
      if (ok) await tf.ready();
      return ok;
    } catch (e) {
      // a backend that throws is a backend that does not work here
      console.warn(`TF.js backend ${name} failed: ${e}`);
      return false;
    }
  }

  /** Start the first backend that works; also the ones that failed before it, for the notes. */
  async function startBackend(order, wasmFiles) {
    const failed = [];
    for (const name of order) {
      if (await startOne(name, wasmFiles)) return { backend: name, failed };
      failed.push(name);
    }
    throw new Error("no TF.js backend could start in this browser");
  }

  async function fetchOk(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} is missing (${response.status})`);
    return response;
  }

  /** The input shape in a model.json's topology ([224, 224, 3]): the first one in the file's
   * order, the first layer of the first nested model (a Teachable Machine export nests the head,
   * [1280], after the base). */
  function inputShape(topology) {
    const stack = [topology];
    while (stack.length) {
      const node = stack.pop();
      if (!node || typeof node !== "object") continue;
      const shape = node.batch_input_shape || node.batchInputShape;
      if (Array.isArray(shape)) return shape.slice(1);
      stack.push(...Object.values(node).reverse());
    }
    return [];
  }

  /** The model's files (model.json, its weights, metadata.json) from the registry; no backend yet. */
  async function fetchModel(dir) {
    const [metadata, topology] = await Promise.all([
      fetchOk(dir + "metadata.json").then((r) => r.json()),
      fetchOk(dir + "model.json").then((r) => r.json()),
    ]);
    const paths = topology.weightsManifest.flatMap((group) => group.paths);
    const buffers = await Promise.all(paths.map((p) => fetchOk(dir + p).then((r) => r.arrayBuffer())));
    const weightData = buffers.length === 1 ? buffers[0] : await new Blob(buffers).arrayBuffer();
    const weightSpecs = topology.weightsManifest.flatMap((group) => group.weights);
    const artifacts = { modelTopology: topology.modelTopology, weightSpecs, weightData };
    return { metadata, artifacts, shape: inputShape(topology.modelTopology) };
  }

  /** The model on the current backend (its weights are that backend's tensors). */
  function buildModel(files) {
    return tf.loadLayersModel(tf.io.fromMemory(files.artifacts));
  }

  /**
   * Predictions on a blank picture: the first compiles the kernels (WebGL: the shaders) before the
   * first photo; ``timed`` more are timed. Resolves to the fastest timed one's milliseconds (to
   * 0.1 ms), a photo's time with the noise of a shared machine left out (null: none timed).
   */
  async function warmUp(net, timed = 0) {
    const [, height, width, channels] = net.inputs[0].shape; // [batch, height, width, channels]
    const x = tf.zeros([1, height, width, channels]);
    let fastest = null;
    try {
      for (let i = 0; i <= timed; i++) {
        const t0 = performance.now();
        const y = tf.tidy(() => net.predict(x));
        try {
          await y.data();
        } finally {
          y.dispose();
        }
        if (i > 0) fastest = Math.min(fastest ?? Infinity, performance.now() - t0);
      }
    } finally {
      x.dispose();
    }
    return fastest === null ? null : Math.round(fastest * 10) / 10;
  }

  // -- what this browser remembers (localStorage; none in some private modes: then nothing is) --
  function storageKey(shape) {
    const version = (tf.version && tf.version.tfjs) || tf.version_core;
    return `${STORE}/${version}/${shape.join("x")}`;
  }

  function readJSON(key) {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch (e) {
      return null; // no storage here, or not JSON: as if nothing were remembered
    }
  }

  function writeJSON(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      // no storage here (or full): the next start times again
    }
  }

  /** {choice, ms: {backend: ms per photo}} remembered for ``key``, checked; {ms: {}} if none. */
  function recall(key) {
    const record = readJSON(key);
    if (!record || typeof record !== "object") return { ms: {} };
    const ms = Object.entries(record.ms && typeof record.ms === "object" ? record.ms : {});
    return {
      choice: CANDIDATES.includes(record.choice) ? record.choice : undefined,
      ms: Object.fromEntries(ms.filter(([name, v]) => name in NAMES && Number.isFinite(v) && v > 0)),
    };
  }

  // -- the three ways to the started model --------------------------------------------------------
  /** On the started ``backend``: the model, warmed up, and timed if this browser has no time for it. */
  async function warmOn(backend, failed, files, record, say) {
    say("Loading the model…");
    const net = await buildModel(files);
    say("Warming up the model…");
    const ms = await warmUp(net, backend in record.ms ? 0 : TIMED);
    return { backend, failed, net, ms: { [backend]: ms ?? record.ms[backend] } };
  }

  /** ``?backend=`` or the renderer's name decides: the first backend of ``order`` that starts. */
  async function startNamed(order, files, record, wasmFiles, say) {
    const { backend, failed } = await startBackend(order, wasmFiles);
    return warmOn(backend, failed, files, record, say);
  }

  /**
   * The renderer's name says nothing: the remembered choice if it still starts, else each of
   * CANDIDATES timed on the model and the fastest kept. It costs once: measured on SwiftShader
   * named "Apple GPU" (2 cores, load average 10-13), ready in 24-27 s against 12-14 s when the
   * name decides (WebGL's first prediction compiles its shaders), and 6-9 s the next time.
   */
  async function startMeasured(files, record, wasmFiles, say) {
    const failed = [];
    if (record.choice) {
      if (await startOne(record.choice, wasmFiles)) {
        return { ...(await warmOn(record.choice, failed, files, record, say)), how: "remembered" };
      }
      failed.push(record.choice); // it no longer starts here (a driver update, a setting): time the others
    }
    const ms = {};
    const nets = {};
    for (const name of CANDIDATES.filter((n) => !failed.includes(n))) {
      say(`Timing the model on ${NAMES[name]}…`);
      if (!(await startOne(name, wasmFiles))) {
        failed.push(name);
        continue;
      }
      try {
        nets[name] = await buildModel(files);
        ms[name] = await warmUp(nets[name], TIMED);
      } catch (e) {
        console.warn(`TF.js backend ${name} failed: ${e}`);
        if (nets[name]) nets[name].dispose();
        delete nets[name];
        failed.push(name);
      }
    }
    const timed = Object.keys(ms);
    if (!timed.length) {
      const onCpu = await startNamed(["cpu"], files, record, wasmFiles, say);
      return { ...onCpu, failed, how: "measured" };
    }
    const backend = timed.reduce((best, name) => (ms[name] < ms[best] ? name : best));
    for (const name of timed) if (name !== backend) nets[name].dispose();
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
    return { backend, failed, net: nets[backend], ms, how: "measured" };
  }

  /**
   * Start TF.js for the page's ``config``: resolves to {backend, failed, renderer, net, metadata,
   * how, ms} once the model is loaded and warm; ``how`` is "forced" (?backend=), "named" (the
   * renderer's name), "remembered" or "measured"; ``ms`` the per-photo times known by backend.
   * ``say(text)`` tells the loading screen what it is doing.
   */
  async function start(config, wanted, say) {
    say("Starting TensorFlow.js…");
    const renderer = webglRenderer();
    const files = await fetchModel(config.model.dir);
    const key = storageKey(files.shape);
    const record = recall(key);
    const forced = ORDER.includes(wanted);
    let started;
    if (!forced && rendererKind(renderer) === "unknown") {
      started = await startMeasured(files, record, config.tfjsWasm, say);
    } else {
      started = await startNamed(backendOrder(wanted, renderer), files, record, config.tfjsWasm, say);
      started.how = forced ? "forced" : "named";
    }
    const { backend, ms, how } = started;
    // only timing chooses (a remembered choice that failed is replaced); ?backend= leaves it alone
    const timing = how === "measured" || how === "remembered";
    const choice = timing ? (CANDIDATES.includes(backend) ? backend : undefined) : record.choice;
    writeJSON(key, { choice, ms: { ...record.ms, ...ms } });
    if (ms[backend]) writeJSON(PER_PHOTO, { backend, ms: ms[backend] });
    console.debug(`teachkit: backend: ${JSON.stringify({ backend, how, ms, renderer })}`);
    return { ...started, renderer, metadata: files.metadata };
  }

  /** The About page: the per-photo time that the classify page measured in this browser, if any. */
  function showPerPhoto() {
    const line = document.getElementById("per-photo");
    const last = line && readJSON(PER_PHOTO);
    if (!last || !(last.backend in NAMES) || !Number.isFinite(last.ms)) return;
    line.querySelector("[data-ms]").textContent = String(Math.max(1, Math.round(last.ms)));
    line.querySelector("[data-backend]").textContent = NAMES[last.backend];
    line.hidden = false;
  }

  globalThis.teachkitTf = { start, backendOrder, rendererKind, webglRenderer };
  showPerPhoto();
})();
