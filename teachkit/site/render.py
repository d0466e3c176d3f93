"""Render dist/: templates, the vendored runtime, the app's wheel and the model, swapped in whole.

Everything is written to a temporary folder next to the output and renamed into place only when
complete, so a failed render leaves the previous site as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import jinja2

from teachkit import __version__, fileio
from teachkit.errors import SiteError, printable
from teachkit.model.files import ModelFiles, open_model
from teachkit.site import assets, card_page, i18n, sources, teachbase, vendor, wheel

MARKER = ".teachkit-site"
#: The largest file Teachkit writes in a site is about 5 MB (Pyodide's wasm, encoded).
MAX_SITE_FILE_BYTES = 64 * 2**20
#: The page's JavaScript, in load order (page/README.md says what each one is for).
SCRIPTS = ("registry.js", "api.js", "media.js", "tfstart.js", "teachstore.js", "loader.js")
#: Loaded first, in every page's head: opens the page in the language the pupil wants (js/lang.js).
LANG_SCRIPT = "lang.js"
#: The site's pages; each language has its own copy (``page_file``). A site of a model has all
#: three; a teach-only site (``build_teach_site``) has the Teach page, and an index.html that only
#: leads there (from file:// each file is its own origin: the lesson is kept on teach.html alone).
PAGES = ("index.html", "about.html", "teach.html")
TEACH_ONLY_PAGES = {"index.html": "to_teach.html", "teach.html": "teach.html"}

#: Runtime files the page loads as plain scripts; every other one goes through the registry.
PLAIN = {"pyodide": ("pyodide.js",)}
#: Scripts shipped compressed like the binaries (1.5 MB as they are, 0.5 MB so) and run from the
#: registry, in this order, once registered (js/registry.js's ``run``).
RUN = ("dist/tf.min.js", "dist/tf-backend-wasm.min.js")
#: TF.js's wasm backend asks for its plain binary where wasm SIMD is missing; the site ships only
#: the SIMD one (every current browser has SIMD) and names it for both. In a browser without SIMD
#: it fails to compile, the wasm backend does not start and the page falls back to cpu, saying so.
WASM_SIMD = "tfjs-backend-wasm-simd.wasm"
WASM_PLAIN = "tfjs-backend-wasm.wasm"
FOLDER = {
    "pyodide": "runtime/pyodide",
    "@tensorflow/tfjs": "runtime/tfjs",
    "@tensorflow/tfjs-backend-wasm": "runtime/tfjs",
}
WHAT = {"pyodide": "Python", "@tensorflow/tfjs": "TensorFlow.js", "@tensorflow/tfjs-backend-wasm": "TensorFlow.js"}
#: The loading screen's names of the site's own parts (translated per page, i18n.N_ marks them).
WHAT_APP, WHAT_MODEL = i18n.N_("the app"), i18n.N_("the model")


def page_file(page: str, lang: str, default: str) -> str:
    """The file of ``page`` in ``lang``: the default language's pages keep their plain names
    (index.html), the others carry the language (index.nl.html), in the same folder, so that
    every relative path of the page stays the same."""
    return page if lang == default else page.replace(".html", f".{lang}.html")


def environment(lang: str) -> jinja2.Environment:
    """The templates' Jinja2 environment, speaking ``lang`` (Jinja2's i18n extension, Babel's
    catalog). Messages are whitespace-trimmed, as ``pybabel extract`` reads them (babel.cfg)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(sources.TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def _model_folder(model: ModelFiles) -> tuple[str, dict[str, bytes]]:
    """The model's files and its versioned folder name (content hash: caches never mix models)."""
    # The bytes that were validated, not the files read again: what was checked is what ships.
    files = {"model.json": model.files["model.json"], "metadata.json": b""}
    files.update((name, data) for name, data in model.files.items() if name != "model.json")
    # The normalised metadata (imageSize filled in for old exports): what the page reads.
    files["metadata.json"] = json.dumps(model.metadata, ensure_ascii=False, indent=1).encode("utf-8")
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return f"model-{h.hexdigest()[:12]}", files


def _stride(name: str, data: bytes) -> int:
    """How a model file is shuffled in its script (``assets.write_asset``): the weights' files by
    the bytes of a float32, which loses nothing whatever their numbers are; the rest not at all."""
    return assets.FLOAT_BYTES if name.endswith(".bin") and len(data) % assets.FLOAT_BYTES == 0 else 1


def _warnings(model: ModelFiles) -> list[str]:
    out = []
    if "notSure" not in model.metadata["userMetadata"]:
        rule = model.info.rule
        out.append(
            f"{model.name}: no tuned 'not sure' rule in metadata.json (a Teachable Machine export?); "
            f"the page answers when the top class has at least {rule.threshold:.0%}."
        )
    return out


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _render_into(
    tmp: Path, model: ModelFiles, title: str, photos: Path | None, lang: str | None, teach_only: bool = False
) -> None:
    scripts: list[dict[str, Any]] = []  # what the loader loads, with sizes for the progress
    # Each script's group decides when js/loader.js runs and awaits it ("tfjs" and "model" first:
    # TF.js starts while Python's scripts load); ``what`` is only the text the loading screen shows.
    group = {"pyodide": "python", "@tensorflow/tfjs": "tfjs", "@tensorflow/tfjs-backend-wasm": "tfjs"}
    urls: dict[str, str] = {}
    lock = b""
    for name, files in vendor.runtime().items():
        for path, data in files.items():
            rel = f"{FOLDER[name]}/{Path(path).name}"
            if path in PLAIN.get(name, ()):
                _write(tmp, rel, data)
                scripts.append({"src": rel, "bytes": len(data), "what": WHAT[name], "group": group[name]})
            elif path == "pyodide-lock.json":
                lock = vendor.slim_lock(data)
            else:
                if path == "python_stdlib.zip":
                    data = vendor.slim_stdlib(data)
                size = assets.write_asset(tmp, rel, data, best=True)
                script = {"src": rel + ".js", "bytes": size, "what": WHAT[name], "group": group[name]}
                if path in RUN:
                    script["run"] = rel
                scripts.append(script)
                urls[Path(path).name] = rel
    app = wheel.build()
    app_rel = f"app/{wheel.filename()}"
    lock_rel = "runtime/pyodide/pyodide-lock.json"
    scripts.append(
        {"src": app_rel + ".js", "bytes": assets.write_asset(tmp, app_rel, app), "what": WHAT_APP, "group": "app"}
    )
    scripts.append(
        {
            "src": lock_rel + ".js",
            "bytes": assets.write_asset(tmp, lock_rel, wheel.add_to_lock(lock, app)),
            "what": "Python",
            "group": "python",
        }
    )
    folder, model_files = _model_folder(model)
    # Only the encoded copies: the page reads the model through the registry, never the raw files.
    for name, data in model_files.items():
        scripts.append(
            {
                "src": f"{folder}/{name}.js",
                "bytes": assets.write_asset(tmp, f"{folder}/{name}", data, stride=_stride(name, data)),
                "what": WHAT_MODEL,
                "group": "model",
            }
        )
    # The order here does not matter: js/loader.js orders the scripts by group.
    for name in (*SCRIPTS, LANG_SCRIPT):
        _write(tmp, f"js/{name}", (sources.SCRIPTS / name).read_bytes())
    for path in sorted(sources.STATIC.iterdir()):
        if path.is_file():
            shutil.copyfile(path, tmp / ("." + path.name[4:] if path.name.startswith("dot-") else path.name))
    config = {
        "version": __version__,
        "scripts": scripts,
        "pyodide": {"index": "runtime/pyodide/", "asm": "runtime/pyodide/pyodide.asm.mjs", "lock": lock_rel},
        "app": {"base": "app/", "package": wheel.NAME, "module": "teachkit_app.main"},
        "tfjsWasm": {WASM_SIMD: urls[WASM_SIMD], WASM_PLAIN: urls[WASM_SIMD]},
        "model": {"dir": folder + "/"},
    }
    meta = model.metadata
    context = {
        "title": title,
        "version": __version__,
        "labels": model.labels,
        "model_name": model.name,
        "model_folder": folder,
        "metadata": meta,
        "is_teachkit": model.is_teachkit,
        "rule": model.info.rule,
        "scripts": SCRIPTS,
        # Thumbnails only from ``photos``, the folder the teacher named (never from metrics.json's paths).
        "card": None if teach_only else card_page.card_context(model.dir, tmp, photos=photos),
        # A teach-only site (`teachkit teach`): its model is the frozen base; the nav shows Teach alone.
        "teach_only": teach_only,
    }
    pages = TEACH_ONLY_PAGES if teach_only else {page: page for page in PAGES}
    # One copy of each page per language (a few kB each): the page's Python reads <html lang> and
    # its compiled catalog from the wheel, so switching language is opening another file, which
    # works from file:// as well as hosted (docs/translating.md).
    default = lang or i18n.SOURCE
    for code in i18n.LANGUAGES:
        env = environment(code)
        t = i18n.translations(code)
        scripts_here = [{**s, "what": t.gettext(s["what"])} for s in scripts]
        text = i18n.loader_text(code)
        for page, template in pages.items():
            html = env.get_template(template).render(
                page=page,
                lang=code,
                languages=i18n.LANGUAGES,
                chosen_lang=lang or "",
                file_of=lambda p, c: page_file(p, c, default),
                config={**config, "scripts": scripts_here, "text": text},
                # the card's charts and note are made in Python: in this page's language too
                **{**context, "card": card_page.in_language(context["card"], t.gettext) if context["card"] else None},
            )
            (tmp / page_file(page, code, default)).write_text(html, encoding="utf-8")


# -- What in a site is Teachkit's ---------------------------------------------------------------

#: What Teachkit 0.1.0 wrote at a site's top level; its marker listed no files.
LEGACY_TOP = frozenset({"index.html", "about.html", "site.css", ".htaccess", "js", "runtime", "app", "card", MARKER})
LEGACY_PAGES = ("index.html", "about.html")


def _digest(path: Path) -> str:
    """The SHA-256 of a file in a site; "" for one that cannot be read (a pipe, a device, too big
    for a site's file): never one Teachkit wrote, so never equal to the manifest's."""
    try:
        return hashlib.sha256(fileio.read_bytes(path, MAX_SITE_FILE_BYTES)).hexdigest()
    except ValueError:
        return ""


def _files(root: Path) -> list[str]:
    """Every file and link under ``root`` (links not followed), as POSIX paths relative to it."""
    out = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root)
        out += [(base / name).as_posix() for name in files]
        out += [(base / name).as_posix() for name in dirs if (Path(folder) / name).is_symlink()]
    return sorted(out)


def _write_manifest(root: Path) -> None:
    """The marker: what Teachkit wrote, with each file's hash, so the next render knows which
    files are the teacher's own (kept) and which of its own the teacher changed (refused)."""
    files = {rel: _digest(root / rel) for rel in _files(root) if rel != fileio.STAGING_MARK}
    note = f"rendered by teachkit {__version__}; safe to delete with its folder"
    (root / MARKER).write_text(json.dumps({"note": note, "files": files}, indent=0) + "\n", encoding="utf-8")


def _teachers_files(out: Path) -> list[str]:
    """The files in a rendered site that Teachkit did not write (a teacher's own pages); a
    ``SiteError`` naming them when the teacher changed files Teachkit wrote."""
    try:
        manifest = json.loads(fileio.read_bytes(out / MARKER, MAX_SITE_FILE_BYTES))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        manifest = None  # a site of Teachkit 0.1.0: its top-level names tell
    theirs, changed = [], []
    for rel in _files(out):
        if rel in (MARKER, fileio.STAGING_MARK):
            continue
        if manifest is None:
            # What a site of 0.1.0 wrote (before the Teach page: a teacher's teach.html stays theirs).
            if not _reserved(rel, LEGACY_PAGES):
                theirs.append(rel)
        elif rel not in manifest:
            theirs.append(rel)
        elif (out / rel).is_symlink() or _digest(out / rel) != manifest[rel]:
            changed.append(rel)
    if changed:
        raise SiteError(
            f"{_listed(changed)} in {out} changed after Teachkit wrote them; nothing was replaced. "
            "Copy your changes into a page of your own (say my-page.html), then render again."
        )
    return theirs


def _listed(names: list[str]) -> str:
    return ", ".join(printable(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def check_out(out: Path) -> list[str]:
    """Refuse, before any work, an output folder that is not a site Teachkit rendered; return
    the teacher's own files in it, which the new site keeps."""
    out = Path(out)
    fileio.check_writable_folder(out)
    if not out.is_symlink() and (not out.exists() or (out.is_dir() and not any(out.iterdir()))):
        return []
    if out.is_symlink() or not out.is_dir() or not (out / MARKER).is_file():
        raise SiteError(
            f"{out} already exists and is not a site Teachkit rendered; it was left alone. "
            "Choose another folder for the site.",
            option="out",
        )
    theirs = _teachers_files(out)
    _refuse_clashes([rel for rel in theirs if _reserved(rel)], out)
    return theirs


def _refuse_clashes(clashes: list[str], out: Path) -> None:
    """A teacher's files whose names the new site needs stop the render, named."""
    if clashes:
        raise SiteError(
            f"{_listed(clashes)} in {out} are yours, and the new site needs those names; nothing was replaced. "
            "Rename your files, then render again."
        )


def _reserved(rel: str, pages: tuple[str, ...] = PAGES) -> bool:
    """Whether a site may need the path ``rel``: its pages, its folders, a model folder."""
    top = rel.split("/", 1)[0]
    stem, _, rest = top.partition(".")
    translated = f"{stem}.html" in pages and rest.removesuffix(".html") in i18n.LANGUAGES and rest.endswith(".html")
    return top in pages or top in LEGACY_TOP or top.startswith("model-") or translated


def _carry_over(old: Path, new: Path, theirs: list[str]) -> None:
    """The teacher's own files into the new site (hard links where the disk allows: no copy)."""
    _refuse_clashes([rel for rel in theirs if (new / rel).exists() or (new / rel).is_symlink()], old)
    for rel in theirs:
        src, dest = old / rel, new / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dest)
            continue
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)


def build_site(
    model: Path,
    out: Path,
    title: str | None = None,
    strict: bool = False,
    photos: Path | None = None,
    lang: str | None = None,
) -> Path:
    """Render the site for ``model`` (ours, a TM export folder or zip) into ``out``; returns ``out``.

    The site is built beside ``out`` and swapped in whole; files a teacher added to an earlier
    site are kept; thumbnails on the model card come only from ``photos``. Every page exists in
    every language of ``i18n.LANGUAGES``; ``lang`` is the one pupils see unless they choose
    another (None: the browser's language, else English).
    """
    lang = i18n.check(lang)
    out = Path(out).absolute()
    fileio.recover(out)
    theirs = check_out(out)
    with open_model(Path(model)) as files:
        if photos is not None and not files.is_teachkit and files.outliers is None:
            # A Teachable Machine export has no summary of its training photos: the teacher's
            # photos give it "none of these" (teachkit.evaluation.outliers).
            from teachkit.evaluation import outliers

            files, said = outliers.fit_from_photos(files, Path(photos))
            print(said)
        warnings = _warnings(files)
        if strict and warnings:
            raise SiteError("; ".join(warnings) + " (strict mode stops on warnings)", option="strict")
        for w in warnings:
            print(f"teachkit: warning: {printable(w)}", file=sys.stderr)
        with fileio.staged_folder(out) as tmp:
            _render_into(tmp, files, title or files.name, photos, lang)
            _write_manifest(tmp)
            _carry_over(out, tmp, theirs)
    print(f"Site written to {out} (open {out / 'index.html'}, or preview it with `teachkit serve {out}`)")
    if theirs:
        print(f"Kept {len(theirs)} file(s) of your own in it: {_listed(theirs)}.")
    return out


def build_teach_site(
    out: Path,
    base_from: Path | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> Path:
    """Render a site for teaching only (`teachkit teach`) into ``out``: the Teach page on the
    frozen base (``teachbase.load``: from ``base_from``, else as ``teachkit train`` finds its
    base), no classes yet; ``index.html`` leads to ``teach.html``. The same swap, manifest and
    keeping of the teacher's files as ``build_site``."""
    lang = i18n.check(lang)
    out = Path(out).absolute()
    fileio.recover(out)
    theirs = check_out(out)
    title = title or "Teachkit"
    base = teachbase.load(Path(base_from) if base_from is not None else None, title)
    with fileio.staged_folder(out) as tmp:
        _render_into(tmp, base, title, None, lang, teach_only=True)
        _write_manifest(tmp)
        _carry_over(out, tmp, theirs)
    print(f"Teach site written to {out} (open {out / 'index.html'}, or preview it with `teachkit serve {out}`)")
    if theirs:
        print(f"Kept {len(theirs)} file(s) of your own in it: {_listed(theirs)}.")
    return out
