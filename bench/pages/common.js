// Shared by the benchmark's comparison pages: the same upload-to-bars path as the site
// (createImageBitmap -> canvas filled white -> classify -> an <article> with one bar per class),
// so that every page is timed by the same harness (bench/site_speed.py) on the same DOM change.
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

  function bars(ranked) {
    const ol = document.createElement("ol");
    ol.className = "bars";
    for (const { label, probability } of ranked) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = label;
      const track = document.createElement("span");
      const fill = document.createElement("span");
      fill.style.width = `${(100 * probability).toFixed(1)}%`;
      track.append(fill);
      const value = document.createElement("span");
      value.textContent = `${(100 * probability).toFixed(0)}%`;
      li.append(name, track, value);
      ol.append(li);
    }
    return ol;
  }

  /** Wire #photos: each chosen file is classified by `classify(canvas)` -> [{label, probability}]. */
  function wire(classify) {
    const input = document.getElementById("photos");
    const grid = document.getElementById("results");
    input.addEventListener("change", async () => {
      for (const file of Array.from(input.files)) {
        const canvas = await fileToCanvas(file);
        const ranked = (await classify(canvas)).slice().sort((a, b) => b.probability - a.probability);
        const article = document.createElement("article");
        article.dataset.label = ranked[0].label;
        article.append(bars(ranked));
        grid.prepend(article);
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

  globalThis.benchPage = { paint, fileToCanvas, wire, ready, fail, wanted, loadScript };
})();
