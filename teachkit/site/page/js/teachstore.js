// The Teach page's keep: the pupil's classes and examples in IndexedDB, so that a lesson survives
// a reload and a closed tab (hosted and from file://, where Chromium gives all files one origin).
//
// Python (teachkit_app.teach.store) says what to keep; this file only speaks IndexedDB, whose
// request/event API is awkward from Python. One database per site folder (its address without
// the file name), so two sites on one USB stick keep two lessons. Records:
//   classes:  {id, name, order}
//   examples: {id, classId, order, filename, type, image: Blob, embedding: Float32Array, base, colour}
// ``base`` names the frozen base an embedding came from: the page embeds again from the kept
// picture when the site's model changed.
"use strict";
(function () {
  const VERSION = 1;

  function folderKey() {
    return "teachkit-teach:" + location.origin + location.pathname.replace(/[^/]*$/, "");
  }

  function done(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function finished(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("the browser's storage refused the change"));
    });
  }

  async function open() {
    if (typeof indexedDB === "undefined") throw new Error("this browser keeps no data for pages");
    const request = indexedDB.open(folderKey(), VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("classes")) db.createObjectStore("classes", { keyPath: "id" });
      if (!db.objectStoreNames.contains("examples")) {
        db.createObjectStore("examples", { keyPath: "id" }).createIndex("classId", "classId");
      }
    };
    const db = await done(request);
    /** Runs ``work(stores)`` in one read-write transaction; resolves when it is committed. */
    async function write(work) {
      const tx = db.transaction(["classes", "examples"], "readwrite");
      const end = finished(tx);
      work({ classes: tx.objectStore("classes"), examples: tx.objectStore("examples") });
      return end;
    }
    return {
      /** Everything kept: {classes: [...], examples: [...]}, each sorted by ``order``. */
      async load() {
        const tx = db.transaction(["classes", "examples"], "readonly");
        const [classes, examples] = await Promise.all([
          done(tx.objectStore("classes").getAll()),
          done(tx.objectStore("examples").getAll()),
        ]);
        const byOrder = (a, b) => a.order - b.order;
        return { classes: classes.sort(byOrder), examples: examples.sort(byOrder) };
      },
      /** The class list as it is now (names and order); classes no longer listed go, with their examples. */
      putClasses(list) {
        return write(({ classes, examples }) => {
          const keep = new Set(list.map((c) => c.id));
          classes.getAll().onsuccess = (e) => {
            for (const old of e.target.result) {
              if (keep.has(old.id)) continue;
              classes.delete(old.id);
              examples.index("classId").getAllKeys(old.id).onsuccess = (k) => k.target.result.forEach((id) => examples.delete(id));
            }
            list.forEach((c, order) => classes.put({ id: c.id, name: c.name, order }));
          };
        });
      },
      /** One example: its picture's bytes become a Blob (IndexedDB keeps Blobs on disk, not in memory). */
      putExample(record) {
        const { bytes, type, embedding, ...rest } = record;
        const image = new Blob([bytes], { type });
        return write(({ examples }) => examples.put({ ...rest, type, image, embedding: new Float32Array(embedding) }));
      },
      /** New embeddings for kept examples (the site's base changed): [{id, embedding, base}]. */
      putEmbeddings(list) {
        return write(({ examples }) => {
          for (const item of list) {
            examples.get(item.id).onsuccess = (e) => {
              const old = e.target.result;
              if (old) examples.put({ ...old, embedding: new Float32Array(item.embedding), base: item.base });
            };
          }
        });
      },
      deleteExamples(ids) {
        return write(({ examples }) => ids.forEach((id) => examples.delete(id)));
      },
      /** "Start over": every class and example of this site's lesson. */
      clear() {
        return write(({ classes, examples }) => {
          classes.clear();
          examples.clear();
        });
      },
      close() {
        db.close();
      },
    };
  }

  /** A kept picture's bytes (a Blob read back), for Python. */
  async function bytesOf(blob) {
    return new Uint8Array(await blob.arrayBuffer());
  }

  globalThis.teachkitStore = { open, bytesOf, folderKey };
})();
