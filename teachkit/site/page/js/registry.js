// The asset registry: the page's binaries arrive as classic scripts (see teachkit/site/assets.py).
//
// Chromium refuses fetch() and module imports on file:// pages, but runs classic <script src>.
// Each NAME.js script calls teachkitAssets.register(NAME, type, size, gzip+base64 bytes); this
// file answers fetch() for those URLs and makes blob: URLs for the APIs that want a URL (the
// Pyodide module import, the TF.js wasm binaries), and runs registered scripts (TF.js, shipped
// compressed too: a third of its size). Hosted or from a USB stick, the same code runs.
"use strict";
(function () {
  const packed = new Map(); // absolute URL -> {type, size, data}
  const nativeFetch = globalThis.fetch.bind(globalThis);

  function absolute(path) {
    return new URL(path, document.baseURI).href;
  }

  // stride: a model's weights come byte-shuffled (byte k of every stride-byte number together,
  // teachkit/site/assets.py), which gzips smaller; unshuffle() puts them back.
  function register(path, type, size, data, stride = 1) {
    packed.set(absolute(path), { type, size, data, stride });
  }

  function unshuffle(bytes, stride) {
    const n = bytes.length / stride;
    const out = new Uint8Array(bytes.length);
    for (let k = 0; k < stride; k++) {
      const plane = bytes.subarray(k * n, (k + 1) * n);
      for (let i = 0; i < n; i++) out[i * stride + k] = plane[i];
    }
    return out;
  }

  function fromBase64(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  async function bytes(path) {
    const entry = packed.get(absolute(path));
    if (!entry) throw new Error(`${path} is not part of this site (its .js file was not loaded)`);
    const gz = new Blob([fromBase64(entry.data)]).stream();
    const buffer = await new Response(gz.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    if (buffer.byteLength !== entry.size) throw new Error(`${path} is damaged (size ${buffer.byteLength}, expected ${entry.size})`);
    return entry.stride > 1 ? unshuffle(new Uint8Array(buffer), entry.stride) : new Uint8Array(buffer);
  }

  async function response(path) {
    const entry = packed.get(absolute(path));
    return new Response(await bytes(path), { status: 200, headers: { "Content-Type": entry.type } });
  }

  async function blobURL(path) {
    const entry = packed.get(absolute(path));
    return URL.createObjectURL(new Blob([await bytes(path)], { type: entry ? entry.type : "" }));
  }

  // Registered scripts run from blob: URLs (the CSP allows them), one after the other in the
  // order asked: TF.js's wasm backend needs TF.js. A failed one fails the ones after it too.
  let running = Promise.resolve();
  function run(path) {
    running = running.then(async () => {
      const url = await blobURL(path);
      try {
        await new Promise((resolve, reject) => {
          const el = document.createElement("script");
          el.src = url;
          el.onload = () => resolve();
          el.onerror = () => reject(new Error(`${path} could not run`));
          document.head.appendChild(el);
        });
      } finally {
        URL.revokeObjectURL(url);
      }
    });
    return running;
  }

  globalThis.fetch = function (input, init) {
    const url = input instanceof Request ? input.url : String(input);
    const key = absolute(url);
    if (packed.has(key)) return response(key);
    return nativeFetch(input, init);
  };

  globalThis.teachkitAssets = {
    register,
    has: (path) => packed.has(absolute(path)),
    bytes,
    response,
    blobURL,
    run,
    absolute,
  };
})();
