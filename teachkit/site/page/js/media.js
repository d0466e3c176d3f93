// Pixels from anything a page has: files, images, canvases, video frames, ImageData.
//
// Python cannot call these browser APIs well (createImageBitmap options, canvas drawing), so
// they live here. Every source ends on a canvas filled white first (transparent pixels composited
// over white, like the build's decoder) with the photo's EXIF orientation applied. The webcam
// loop's clock is here too: Python awaits it, the browser's video frame callbacks drive it.
"use strict";
(function () {
  /**
   * No picture to be had: the one error Python (teachkit_app.pictures) turns into a sentence by
   * its name. ``source`` is true when what was given is no kind of picture at all (a number, a
   * string): the message is then the whole sentence; otherwise the file or element holds no
   * picture the browser can open (damaged, not an image, no frame yet).
   */
  class NotAnImage extends Error {
    constructor(message, { source = false } = {}) {
      super(message);
      this.source = source;
    }
    get name() {
      return "NotAnImage";
    }
  }

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

  /** Why a Blob cannot be measured or decoded: one reason for the caller to turn into a sentence. */
  function notAnImage() {
    return new NotAnImage("not a picture the browser can open");
  }

  /**
   * A Blob's width and height as shown (EXIF orientation applied), without decoding its pixels:
   * an <img> reads the header and decodes only when painted, and this one is never painted.
   * (A 12000x12000 PNG decoded at full size took Chromium from 1.2 to 6.6 GB: the size must be
   * known before anything is decoded.)
   */
  function measureBlob(blob) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(blob);
      const img = new Image();
      const done = (ok) => {
        const { naturalWidth: width, naturalHeight: height } = img;
        img.onload = img.onerror = null;
        URL.revokeObjectURL(url);
        if (ok && width && height) resolve({ width, height });
        else reject(notAnImage());
      };
      img.onload = () => done(true);
      img.onerror = () => done(false);
      img.src = url;
    });
  }

  /** The size of any supported source, in pixels as shown; nothing is decoded. */
  async function sizeOf(source) {
    if (source instanceof Blob) return measureBlob(source);
    if (typeof HTMLImageElement !== "undefined" && source instanceof HTMLImageElement) {
      if (!source.complete) {
        await new Promise((resolve) => {
          source.addEventListener("load", resolve, { once: true });
          source.addEventListener("error", resolve, { once: true });
        });
      }
      if (!source.naturalWidth) throw new NotAnImage("the image element shows no picture");
      return { width: source.naturalWidth, height: source.naturalHeight };
    }
    if (typeof HTMLVideoElement !== "undefined" && source instanceof HTMLVideoElement) {
      if (source.readyState < 2) throw new NotAnImage("the video has no frame yet");
      return { width: source.videoWidth, height: source.videoHeight };
    }
    if (
      (typeof ImageData !== "undefined" && source instanceof ImageData) ||
      (typeof HTMLCanvasElement !== "undefined" && source instanceof HTMLCanvasElement) ||
      (typeof OffscreenCanvas !== "undefined" && source instanceof OffscreenCanvas) ||
      (typeof ImageBitmap !== "undefined" && source instanceof ImageBitmap)
    ) {
      return { width: source.width, height: source.height };
    }
    throw new NotAnImage("teachkit.classify needs an image, canvas, video, ImageData, ImageBitmap, Blob or File.", {
      source: true,
    });
  }

  /**
   * Decoded, scaled to width x height when that is smaller (the caller chooses: powers of two
   * that the preprocessing's halving allows; sizes as shown, EXIF orientation applied). "medium"
   * is bilinear from mipmaps (2x2 averages), close to the halvings the build computes: measured
   * within 0.003 of the build's probabilities on 12 and 31-megapixel photos (test_site_large_photos).
   * Premultiplied when scaled: averaging premultiplied colours is what averaging after
   * compositing over white gives, as the build does.
   */
  function bitmapOptions(natural, width, height) {
    const options = { imageOrientation: "from-image", premultiplyAlpha: "none" };
    if (width < natural.width || height < natural.height) {
      Object.assign(options, { resizeWidth: width, resizeHeight: height, resizeQuality: "medium", premultiplyAlpha: "premultiply" });
    }
    return options;
  }

  /**
   * ``source`` -> a canvas of ``width`` x ``height`` with its pixels (white behind transparency).
   * ``natural`` is what sizeOf() said; without a size, the natural one.
   */
  async function toCanvas(source, width, height, natural) {
    natural = natural || (await sizeOf(source));
    width = width || natural.width;
    height = height || natural.height;
    if (source instanceof Blob || width < natural.width || height < natural.height) {
      let bitmap;
      try {
        bitmap = await createImageBitmap(source, bitmapOptions(natural, width, height));
      } catch (e) {
        if (source instanceof Blob) throw notAnImage();
        throw e;
      }
      try {
        return paint(bitmap, bitmap.width, bitmap.height);
      } finally {
        bitmap.close();
      }
    }
    if (typeof ImageData !== "undefined" && source instanceof ImageData) {
      const canvas = canvasOf(source.width, source.height);
      canvas.getContext("2d").putImageData(source, 0, 0);
      return paint(canvas, source.width, source.height);
    }
    return paint(source, width, height);
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

  globalThis.teachkitMedia = { sizeOf, toCanvas, thumbnail, frameClock, NotAnImage };
})();
