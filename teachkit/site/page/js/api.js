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
    /** The Teach page's lesson (teach.html only; undefined elsewhere): see teachApi below. */
    get teach() {
      return teach;
    },
  };
  Object.defineProperty(globalThis, "teachkit", { value: teachkit, enumerable: true });

  let teach; // set when the Teach page's Python connects (teachkit_app.teach.api)

  /**
   * ``teachkit.teach`` over the Python object ``t`` (teachkit_app.teach.api.TeachApi.to_js):
   * every call answers {value} or {error}; an error becomes a thrown Error with its sentence.
   */
  function teachApi(t) {
    const unwrap = (name, result) => {
      if (result && result.error) throw new Error(result.error);
      return result ? result.value : undefined;
    };
    const guard = (name, e) => {
      console.error(`teachkit.teach.${name}:`, e);
      return new Error(`teachkit.teach.${name} failed (an error inside the page; the browser's console has the details).`);
    };
    const sync = (name) => (...args) => {
      let result;
      try {
        result = t[name](...args);
      } catch (e) {
        throw guard(name, e);
      }
      return unwrap(name, result);
    };
    const later = (name) => async (...args) => {
      let result;
      try {
        result = await t[name](...args);
      } catch (e) {
        throw guard(name, e);
      }
      return unwrap(name, result);
    };
    return Object.freeze({
      /** [{name, count}], in the lesson's order. */
      get classes() {
        return t.classes();
      },
      addClass: sync("addClass"),
      renameClass: sync("renameClass"),
      removeClass: sync("removeClass"),
      /** (i, sources: Blob/File/<img>/<canvas>/ImageData, one or an array) -> how many were added. */
      addExamples: later("addExamples"),
      /** ({seed}) -> {heldout: {accuracy, n, correct}, perClass, epochs, ms}. */
      train: later("train"),
      /** The shape of teachkit.classify, with the newly trained model. */
      classify: later("classify"),
      exportModel: later("exportModel"),
      exportExamples: later("exportExamples"),
      open: later("open"),
      reset: later("reset"),
    });
  }

  // Called by Python (teachkit_app.main) once, when the page is ready or when starting failed.
  globalThis.teachkitBridge = {
    connect(api) {
      impl = api;
      if (api.teach) teach = teachApi(api.teach);
      settle.resolve(teachkit);
    },
    fail(message) {
      settle.reject(new Error(message));
    },
  };
})();
