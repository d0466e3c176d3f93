// TF.js's start: the backend, the model and its warm-up, begun while Pyodide starts.
//
// Starting things is the loader's job (as Pyodide's own loader starts Python). The page's logic,
// the preprocessing and the "not sure" rule stay in Python, which takes the started model over
// (teachkit_app.main). The backends are tried in the order WebGL, wasm, cpu, except that a WebGL
// drawn in software (SwiftShader, llvmpipe: no graphics chip) goes after wasm, which is faster
// on the CPU: measured, ready in 8.8 s on SwiftShader's WebGL and 5.6 s on wasm.
"use strict";
(function () {
  const ORDER = ["webgl", "wasm", "cpu"];
  const SOFTWARE = /swiftshader|llvmpipe|softpipe|software rasterizer|basic render driver/i;

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

  /** Start the first backend that works; also the ones that failed before it, for the notes. */
  async function startBackend(order, wasmFiles) {
    const failed = [];
    for (const name of order) {
      let ok = false;
      try {
        if (name === "wasm") await wasmPaths(wasmFiles);
        ok = await tf.setBackend(name);
        if (ok) await tf.ready();
      } catch (e) {
        // a backend that throws is a backend that does not work here
        console.warn(`TF.js backend ${name} failed: ${e}`);
        ok = false;
      }
      if (ok) return { backend: name, failed };
      failed.push(name);
    }
    throw new Error("no TF.js backend could start in this browser");
  }

  async function fetchOk(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} is missing (${response.status})`);
    return response;
  }

  /** The model's metadata and layers (model.json, its weights, metadata.json), from the registry. */
  async function loadModel(dir) {
    const [metadata, topology] = await Promise.all([
      fetchOk(dir + "metadata.json").then((r) => r.json()),
      fetchOk(dir + "model.json").then((r) => r.json()),
    ]);
    const paths = topology.weightsManifest.flatMap((group) => group.paths);
    const buffers = await Promise.all(paths.map((p) => fetchOk(dir + p).then((r) => r.arrayBuffer())));
    const weightData = buffers.length === 1 ? buffers[0] : await new Blob(buffers).arrayBuffer();
    const weightSpecs = topology.weightsManifest.flatMap((group) => group.weights);
    const net = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs, weightData }));
    return { net, metadata };
  }

  /** One prediction on a blank picture: compiles the kernels (WebGL: the shaders) before the first photo. */
  async function warmUp(net) {
    const [, height, width, channels] = net.inputs[0].shape; // [batch, height, width, channels]
    const y = tf.tidy(() => net.predict(tf.zeros([1, height, width, channels])));
    try {
      await y.data();
    } finally {
      y.dispose();
    }
  }

  /**
   * Start TF.js for the page's ``config``: resolves to {backend, failed, renderer, net, metadata}
   * once the model is loaded and warm. ``say(text)`` tells the loading screen what it is doing.
   */
  async function start(config, wanted, say) {
    say("Starting TensorFlow.js…");
    const renderer = webglRenderer();
    const { backend, failed } = await startBackend(backendOrder(wanted, renderer), config.tfjsWasm);
    say("Loading the model…");
    const { net, metadata } = await loadModel(config.model.dir);
    say("Warming up the model…");
    await warmUp(net);
    return { backend, failed, renderer, net, metadata };
  }

  globalThis.teachkitTf = { start, backendOrder, webglRenderer };
})();
