// window.teachkit: the small API other pages (and the tests) use. The work is done in Python
// (teachkit_app.api); this file only holds the promise that resolves once the model is warm.
"use strict";
(function () {
  let impl = null;
  let settle;
  const ready = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });

  const teachkit = {
    /** Resolves (to this object) once the model is loaded and warmed up. */
    ready,
    /** The TF.js backend in use: "webgl", "wasm" or "cpu" (null while loading). */
    get backend() {
      return impl ? impl.backend() : null;
    },
    /** The class labels, in the model's order. */
    get labels() {
      return impl ? impl.labels() : [];
    },
    /**
     * Classify an image element, canvas, video, ImageData, ImageBitmap, Blob or File.
     * Resolves to {label, probabilities: [{label, probability}], backend, ms}; label is null
     * for "not sure". Rejects with an Error whose message is one sentence: not a picture,
     * damaged, or over 80 megapixels (large pictures are decoded downscaled, as the build does).
     */
    async classify(source) {
      await ready;
      let result;
      try {
        result = await impl.classify(source);
      } catch (e) {
        // Python answers every failure with {error}; anything else escaped it (a PythonError's
        // message is a whole traceback): the caller gets a sentence, the console the details.
        console.error("teachkit.classify:", e);
        throw new Error("The picture could not be classified (an error inside the page; the browser's console has the details).");
      }
      if (result.error) throw new Error(result.error);
      return result;
    },
  };
  Object.defineProperty(globalThis, "teachkit", { value: teachkit, enumerable: true });

  // Called by Python (teachkit_app.main) once, when the page is ready or when starting failed.
  globalThis.teachkitBridge = {
    connect(api) {
      impl = api;
      settle.resolve(teachkit);
    },
    fail(message) {
      settle.reject(new Error(message));
    },
  };
})();
