// The loader: fetches the runtime, starts Pyodide and hands over to the app's Python.
//
// It loads each script of the page's config in turn (runtime, app wheel, model) and says on the
// loading screen what it is doing and how many MB are left; then it starts Pyodide from the
// registered bytes (teachkitAssets), installs the app's wheel with loadPackage and calls
// teachkit_app.main.start(), which picks the TF.js backend, loads the model and warms it up.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("teachkit-config").textContent);
  const statusEl = document.getElementById("loading-status");
  const barEl = document.getElementById("loading-bar");

  const t0 = performance.now();
  function status(text, done) {
    console.debug(`teachkit: ${((performance.now() - t0) / 1000).toFixed(2)} s: ${text}`);
    if (statusEl) statusEl.textContent = text;
    if (barEl && done !== undefined) barEl.value = done;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = src;
      el.async = false;
      el.onload = () => resolve();
      el.onerror = () => reject(new Error(`could not load ${src} (is the site folder complete?)`));
      document.head.appendChild(el);
    });
  }

  const mb = (n) => (n / 1e6).toFixed(1);

  // TF.js's bundled regenerator runtime assigns this global and, in strict mode, falls back to
  // Function() when it is undeclared, which the page's Content-Security-Policy forbids.
  if (!("regeneratorRuntime" in globalThis)) globalThis.regeneratorRuntime = undefined;

  async function boot() {
    const total = config.scripts.reduce((sum, s) => sum + s.bytes, 0);
    let left = total;
    for (const s of config.scripts) {
      status(`Loading ${s.what}… ${mb(left)} MB left`, (total - left) / total);
      await loadScript(s.src);
      left -= s.bytes;
    }
    status("Starting Python…", 1);
    const asm = await teachkitAssets.blobURL(config.pyodide.asm);
    const module = await import(asm);
    URL.revokeObjectURL(asm);
    const lock = await (await fetch(config.pyodide.lock)).json();
    const pyodide = await loadPyodide({
      indexURL: teachkitAssets.absolute(config.pyodide.index),
      createPyodideModule: module.default,
      lockFileContents: lock,
      packageBaseUrl: teachkitAssets.absolute(config.app.base),
      checkAPIVersion: true,
      stdout: (line) => console.log(line),
      stderr: (line) => console.warn(line),
    });
    status("Starting the app…", 1);
    await pyodide.loadPackage(config.app.package, { messageCallback: () => {}, errorCallback: (m) => console.warn(m) });
    globalThis.teachkitPyodide = pyodide; // for debugging and the tests' checks inside real Pyodide
    const main = pyodide.pyimport(config.app.module);
    try {
      await main.start(config, status);
    } finally {
      main.destroy();
    }
  }

  boot().catch((error) => {
    console.error(error);
    const message = `The page could not start: ${error && error.message ? error.message : error}`;
    status(message);
    document.body.classList.add("failed");
    globalThis.teachkitBridge.fail(message);
  });
})();
