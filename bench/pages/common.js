// Shared by the benchmark's comparison pages: the same upload-to-bars path as the site
// (createImageBitmap -> canvas filled white -> classify -> the site's result card: thumbnail,
// name, verdict, one bar per class, drawn with the site's stylesheet), so that every page is
// timed by the same harness (bench/site_speed.py) on the same DOM change and the same drawing;
// and the TF.js-alone start (backend, model, warm-up) with the site's preprocessing in TF.js ops.
"use strict";
(function () {
  globalThis.__benchReady = null;
  globalThis.__benchError = null;
  globalThis.__benchT0 = performance.now();

  function paint(drawable, width, height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(drawable, 0, 0, width, height);
    return canvas;
  }

  async function fileToCanvas(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image", premultiplyAlpha: "none" });
    try {
      return paint(bitmap, bitmap.width, bitmap.height);
    } finally {
      bitmap.close();
    }
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** One row per class, highest first: the markup of the site's bars (teachkit_app.results). */
  function bars(ranked, ol = el("ol", "bars")) {
    const rows = ranked.map(({ label, probability }) => {
      const row = el("li", "bar-row");
      const track = el("span", "bar-track");
      const fill = el("span", "bar-fill");
      fill.style.width = `${(100 * probability).toFixed(1)}%`;
      track.append(fill);
      row.append(el("span", "bar-label", label), track, el("span", "bar-value", `${(100 * probability).toFixed(0)}%`));
      return row;
    });
    ol.replaceChildren(...rows);
    return ol;
  }

  /** The site's result card (teachkit_app.results.card): thumbnail, name, verdict, bars. With the
   * site's stylesheet, every page draws what the site draws for a photo. */
  function card(name, canvas, ranked) {
    const article = el("article", "result");
    article.dataset.label = ranked[0].label;
    const scale = Math.min(1, 160 / Math.max(canvas.width, canvas.height));
    const thumb = paint(canvas, Math.max(1, Math.round(canvas.width * scale)), Math.max(1, Math.round(canvas.height * scale)));
    thumb.className = "thumb";
    article.append(thumb, el("p", "file-name", name), el("p", "verdict", ranked[0].label), bars(ranked));
    return article;
  }

  /** Wire #photos: each chosen file is classified by `classify(canvas)` -> [{label, probability}]. */
  function wire(classify) {
    const input = document.getElementById("photos");
    const grid = document.getElementById("results");
    input.addEventListener("change", async () => {
      for (const file of Array.from(input.files)) {
        const canvas = await fileToCanvas(file);
        const ranked = (await classify(canvas)).slice().sort((a, b) => b.probability - a.probability);
        grid.prepend(card(file.name, canvas, ranked));
      }
      input.value = "";
    });
  }

  function ready() {
    globalThis.__benchReady = performance.now();
    document.body.classList.add("ready");
  }

  function fail(error) {
    console.error(error);
    globalThis.__benchError = String(error && error.message ? error.message : error);
  }

  function wanted() {
    return new URLSearchParams(location.search).get("backend");
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = src;
      el.async = false;
      el.onload = () => resolve();
      el.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.appendChild(el);
    });
  }

  /**
   * TF.js alone, as the site starts it (js/tfstart.js) but without Python: the backend (wasm from
   * the registry's blob: URLs), the model from the registry, one warm-up prediction. Resolves to
   * classify(pixels) -> [{label, probability}] in the model's order, with the site's preprocessing
   * (centre square, exact halvings, bilinear resize, x / 127 - 1) done in TF.js ops.
   */
  async function startTfjs(config, backend) {
    if (backend === "wasm") {
      const urls = {};
      for (const [name, path] of Object.entries(config.tfjsWasm)) urls[name] = await teachkitAssets.blobURL(path);
      urls["tfjs-backend-wasm-threaded-simd.wasm"] = urls["tfjs-backend-wasm-simd.wasm"];
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      tf.wasm.setWasmPaths(urls);
    }
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
    await tf.ready();
    const dir = config.model.dir;
    const metadata = await (await fetch(dir + "metadata.json")).json();
    const topology = await (await fetch(dir + "model.json")).json();
    const specs = topology.weightsManifest.flatMap((g) => g.weights);
    const buffers = [];
    for (const g of topology.weightsManifest) for (const p of g.paths) buffers.push(await (await fetch(dir + p)).arrayBuffer());
    const weightData = await new Blob(buffers).arrayBuffer();
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: specs, weightData }));
    const size = metadata.imageSize || 224;
    const labels = metadata.labels;

    function forward(pixels) {
      return tf.tidy(() => {
        const image = tf.browser.fromPixels(pixels);
        const [h, w] = image.shape;
        const side = Math.min(h, w);
        // the centre square, sliced as rows of w x 3 values as the site's TfjsOps.crop does
        const rows = image.reshape([h, w * 3]);
        const square = tf.slice(rows, [Math.floor((h - side) / 2), Math.floor((w - side) / 2) * 3], [side, side * 3]);
        let x = square.reshape([side, side, 3]).toFloat();
        let s = side;
        while (s >= 2 * size) {
          s = Math.floor(s / 2);
          x = tf.image.resizeBilinear(x, [s, s], false, true);
        }
        if (s !== size) x = tf.image.resizeBilinear(x, [size, size], false, true);
        x = x.mul(1 / 127).sub(1);
        return model.predict(x.expandDims(0)).reshape([-1]);
      });
    }
    async function classify(pixels) {
      const y = forward(pixels);
      try {
        const p = await y.data();
        return labels.map((label, i) => ({ label, probability: p[i] }));
      } finally {
        y.dispose();
      }
    }
    const blank = document.createElement("canvas");
    blank.width = blank.height = size;
    await classify(blank); // warm-up, as the site does
    return classify;
  }

  globalThis.benchPage = { paint, fileToCanvas, bars, wire, ready, fail, wanted, loadScript, startTfjs };
})();
