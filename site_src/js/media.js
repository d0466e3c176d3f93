// Pixels from anything a page has: files, images, canvases, video frames, ImageData.
//
// Python cannot call these browser APIs well (createImageBitmap options, canvas drawing), so
// they live here. Every source ends on a canvas filled white first (transparent pixels composited
// over white, like the build's decoder) with the photo's EXIF orientation applied. The webcam
// loop's clock is here too: Python awaits it, the browser's video frame callbacks drive it.
"use strict";
(function () {
  class NotAnImage extends Error {}

  function canvasOf(width, height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }

  function paint(drawable, width, height) {
    if (!width || !height) throw new NotAnImage("the picture has no pixels");
    const canvas = canvasOf(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(drawable, 0, 0, width, height);
    return canvas;
  }

  async function decodeBlob(blob) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, { imageOrientation: "from-image", premultiplyAlpha: "none" });
    } catch (e) {
      throw new NotAnImage("not a picture the browser can open (the file is damaged or not an image)");
    }
    try {
      return paint(bitmap, bitmap.width, bitmap.height);
    } finally {
      bitmap.close();
    }
  }

  /** Any supported source -> a canvas with its pixels (white behind transparency). */
  async function toCanvas(source) {
    if (source instanceof Blob) return decodeBlob(source);
    if (typeof HTMLImageElement !== "undefined" && source instanceof HTMLImageElement) {
      if (!source.complete || !source.naturalWidth) await source.decode();
      return paint(source, source.naturalWidth, source.naturalHeight);
    }
    if (typeof HTMLVideoElement !== "undefined" && source instanceof HTMLVideoElement) {
      if (source.readyState < 2) throw new NotAnImage("the video has no frame yet");
      return paint(source, source.videoWidth, source.videoHeight);
    }
    if (typeof ImageData !== "undefined" && source instanceof ImageData) {
      const canvas = canvasOf(source.width, source.height);
      canvas.getContext("2d").putImageData(source, 0, 0);
      return paint(canvas, source.width, source.height);
    }
    if (
      (typeof HTMLCanvasElement !== "undefined" && source instanceof HTMLCanvasElement) ||
      (typeof OffscreenCanvas !== "undefined" && source instanceof OffscreenCanvas) ||
      (typeof ImageBitmap !== "undefined" && source instanceof ImageBitmap)
    ) {
      return paint(source, source.width, source.height);
    }
    throw new TypeError("teachkit.classify needs an image, canvas, video, ImageData, Blob or File");
  }

  /** A small copy of the picture (a canvas: no image encoding), so results show what was classified. */
  function thumbnail(canvas, side = 160) {
    const scale = Math.min(1, side / Math.max(canvas.width, canvas.height));
    return paint(canvas, Math.max(1, Math.round(canvas.width * scale)), Math.max(1, Math.round(canvas.height * scale)));
  }

  /** Resolves at the next animation frame (the clock without requestVideoFrameCallback); at once when hidden. */
  function nextFrame() {
    return new Promise((resolve) => {
      if (document.hidden) setTimeout(resolve, 100);
      else requestAnimationFrame(() => resolve());
    });
  }

  /**
   * The webcam loop's clock for ``video``: ``next()`` resolves to true once the video shows a frame
   * that no earlier ``next()`` was given: at once when one arrived during the last prediction (so
   * the loop always takes the newest frame), else at the next frame. No frame is handed out twice,
   * and a fast camera is not held to the screen's refresh rate. ``stop()`` resolves a waiting
   * ``next()`` to false. Without requestVideoFrameCallback the clock is the animation frame.
   */
  function frameClock(video) {
    if (typeof video.requestVideoFrameCallback !== "function") {
      let stopped = false;
      return { next: () => (stopped ? Promise.resolve(false) : nextFrame().then(() => !stopped)), stop: () => (stopped = true) };
    }
    let shown = 0; // frames the video has presented so far
    let given = 0; // the newest frame next() has handed out
    let wake = null; // resolves the waiting next()
    let handle = video.requestVideoFrameCallback(onFrame);
    function onFrame(_now, meta) {
      shown = meta.presentedFrames;
      handle = video.requestVideoFrameCallback(onFrame);
      if (wake) wake(true);
    }
    function next() {
      if (handle === null) return Promise.resolve(false);
      if (shown > given) {
        given = shown;
        return Promise.resolve(true);
      }
      return new Promise((resolve) => {
        wake = (fresh) => {
          wake = null;
          if (fresh) given = shown;
          resolve(fresh);
        };
      });
    }
    function stop() {
      if (handle !== null) video.cancelVideoFrameCallback(handle);
      handle = null;
      if (wake) wake(false);
    }
    return { next, stop };
  }

  globalThis.teachkitMedia = { toCanvas, thumbnail, frameClock, NotAnImage };
})();
