// The loader: fetches the runtime, starts Pyodide and TF.js side by side, hands over to Python.
//
// It adds every script of the page's config at once (the browser downloads them together and
// runs them in the order of their groups: "tfjs" and "model" first, then "python" and "app") and
// says on the loading screen how many MB are left. As soon as the "tfjs" and "model" scripts are
// in, it starts TF.js, loads the model and warms it up (js/tfstart.js); meanwhile Python's
// scripts load and Pyodide's start begins from the registered bytes (teachkitAssets). Then it
// installs the app's wheel and calls teachkit_app.main.start(), handing it the started model and
// every page object its Python uses (TF.js, js/media.js, js/api.js's bridge, the status line).
// Measured (bench/): ready in about the time of a bare Pyodide start, where one after the other
// took 1.3-1.7x.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("teachkit-config").textContent);
  const statusEl = document.getElementById("loading-status");
  const barEl = document.getElementById("loading-bar");
  /** The loading screen's line ``text`` in the page's language: the build puts the translations
   * in the config, keyed by the English (teachkit/site/i18n.py, LOADER_MESSAGES), and ``%(name)s``
   * takes ``values[name]``. A line without a translation stays English. */
  function tr(text, values = {}) {
    const out = (config.text && config.text[text]) || text;
    return out.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  }

  // What the loading screen says: one line per thing under way (the scripts, Python, the model).
  const t0 = performance.now();
  const lanes = new Map([
    ["scripts", ""],
    ["python", ""],
    ["model", ""],
  ]);
  function say(lane, text, done) {
    console.debug(`teachkit: ${((performance.now() - t0) / 1000).toFixed(2)} s: ${lane}: ${text || "done"}`);
    lanes.set(lane, text);
    if (statusEl) statusEl.textContent = [...lanes.values()].filter(Boolean).join(" · ");
    if (barEl && done !== undefined) barEl.value = done;
  }
  /** A failure replaces everything else on the loading screen. */
  function sayFailed(message) {
    for (const lane of lanes.keys()) lanes.set(lane, "");
    say("python", message);
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = src;
      el.async = false; // downloaded in parallel, run in the order added
      el.onload = () => resolve();
      el.onerror = () => reject(new Error(`could not load ${src} (is the site folder complete?)`));
      document.head.appendChild(el);
    });
  }

  const mb = (n) => (n / 1e6).toFixed(1);

  // TF.js's bundled regenerator runtime assigns this global and, in strict mode, falls back to
  // Function() when it is undeclared, which the page's Content-Security-Policy forbids.
  if (!("regeneratorRuntime" in globalThis)) globalThis.regeneratorRuntime = undefined;

  /** When each group of scripts is added, and whose start waits for it: TF.js's and the model's
   * first (their start is short and runs while Python's bigger scripts load), then Python's and
   * the app's. The groups come from the config (teachkit/site/render.py), never from ``what``,
   * which is only the text on the loading screen. */
  const GROUPS = { tfjs: "tf", model: "tf", python: "python", app: "python" };
  const ORDER = Object.keys(GROUPS);

  /** Add every script, ordered by group. Resolves to {tf: TF.js's and the model's in, python: Python's in}. */
  function loadScripts() {
    const unknown = config.scripts.filter((s) => !(s.group in GROUPS));
    if (unknown.length) throw new Error(`the page's config has a script of no known group: ${unknown[0].src}`);
    const ordered = ORDER.flatMap((group) => config.scripts.filter((s) => s.group === group));
    const total = ordered.reduce((sum, s) => sum + s.bytes, 0);
    let left = total;
    const pending = new Set(ordered); // they finish in any order: say what is still on its way
    const progress = () => {
      const what = [...new Set(ordered.filter((s) => pending.has(s)).map((s) => s.what))];
      const list = what.length > 1 ? `${what.slice(0, -1).join(", ")}${tr(" and ")}${what.at(-1)}` : what[0];
      say("scripts", list ? tr("Loading %(what)s… %(mb)s MB left", { what: list, mb: mb(left) }) : "", (total - left) / total);
    };
    progress();
    const loaded = ordered.map((s) =>
      // a compressed script (TF.js) runs once registered, in order (js/registry.js)
      loadScript(s.src)
        .then(() => s.run && teachkitAssets.run(s.run))
        .then(() => {
          pending.delete(s);
          left -= s.bytes;
          progress();
        }),
    );
    const awaited = (start) => Promise.all(loaded.filter((_, i) => GROUPS[ordered[i].group] === start));
    return { tf: awaited("tf"), python: awaited("python") };
  }

  async function startPython(tfStarted) {
    say("python", tr("Starting Python…"));
    const asm = await teachkitAssets.blobURL(config.pyodide.asm);
    const module = await import(asm);
    URL.revokeObjectURL(asm);
    const lock = await (await fetch(config.pyodide.lock)).json();
    // loadPyodide holds the main thread for seconds at a stretch, and TF.js's start, which needs
    // the main thread for a fraction of a second, would stall behind it: let TF.js finish first.
    await tfStarted.catch(() => {});
    const pyodide = await loadPyodide({
      indexURL: teachkitAssets.absolute(config.pyodide.index),
      createPyodideModule: module.default,
      lockFileContents: lock,
      packageBaseUrl: teachkitAssets.absolute(config.app.base),
      checkAPIVersion: true,
      stdout: (line) => console.log(line),
      stderr: (line) => console.warn(line),
    });
    say("python", tr("Starting the app…"));
    await pyodide.loadPackage(config.app.package, { messageCallback: () => {}, errorCallback: (m) => console.warn(m) });
    globalThis.teachkitPyodide = pyodide; // for debugging and the tests' checks inside real Pyodide
    return pyodide;
  }

  async function boot() {
    const { tf: tfLoaded, python: pythonLoaded } = loadScripts();
    const wanted = new URLSearchParams(location.search).get("backend");
    const tfStarted = tfLoaded.then(async () => {
      const started = await teachkitTf.start(config, wanted, (text) => say("model", tr(text)));
      say("model", "");
      return started;
    });
    tfStarted.catch(() => {}); // handled by Python (below), which reports it; not an unhandled rejection
    await pythonLoaded;
    const pyodide = await startPython(tfStarted);
    const main = pyodide.pyimport(config.app.module);
    const start = main.start;
    let failure;
    try {
      // Everything the page's Python uses from the page is handed over here, by name: it reads
      // no page globals (the DOM's document, window and console are the browser's, not ours).
      failure = await start.callKwargs({
        status: (text) => say("python", text),
        tf_started: tfStarted,
        tf: globalThis.tf,
        media: globalThis.teachkitMedia,
        bridge: globalThis.teachkitBridge,
        // the Teach page's: its keep (js/teachstore.js) and the registry (the model's files for
        // the model zip)
        keep: globalThis.teachkitStore,
        assets: globalThis.teachkitAssets,
      });
    } finally {
      start.destroy();
      main.destroy();
    }
    if (failure) throw new Error(failure);
  }

  boot().catch((error) => {
    console.error(error);
    const message = tr("The page could not start: %(error)s", { error: error && error.message ? error.message : error });
    sayFailed(message);
    document.body.classList.add("failed");
    globalThis.teachkitBridge.fail(message);
  });
})();
