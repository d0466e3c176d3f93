"""Rendering dist/ without a browser: what is written, what is refused, what is left alone."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from teachkit.errors import SiteError
from teachkit.model.files import ModelError
from teachkit.site import assets, render, vendor, wheel

ROOT = Path(__file__).resolve().parents[2]


def test_site_layout(animals_site: Path) -> None:
    names = {p.relative_to(animals_site).as_posix() for p in animals_site.rglob("*") if p.is_file()}
    assert {"index.html", "about.html", ".htaccess", "site.css", "js/registry.js", "js/loader.js"} <= names
    model_dirs = [p for p in animals_site.iterdir() if p.name.startswith("model-")]
    assert len(model_dirs) == 1 and len(model_dirs[0].name) == len("model-") + 12
    # the page reads the model through the registry: only the encoded copies ship
    assert {p.name for p in model_dirs[0].iterdir()} == {"model.json.js", "weights.bin.js", "metadata.json.js"}
    # only the runtime files the page uses: no threaded wasm, no Pyodide console, no raw .wasm
    assert not any("threaded" in n or "console" in n or n.endswith(".wasm") for n in names)
    # TF.js compressed like the binaries; of its wasm binaries only the SIMD one
    assert {n for n in names if n.startswith("runtime/tfjs/")} == {
        "runtime/tfjs/tf.min.js.js",
        "runtime/tfjs/tf-backend-wasm.min.js.js",
        "runtime/tfjs/tfjs-backend-wasm-simd.wasm.js",
    }
    assert f"app/{wheel.filename()}.js" in names
    html = (animals_site / "index.html").read_text()
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "http://" not in html and "https://" not in html


def test_site_size_budget(animals_site: Path) -> None:
    """Issue 5's targets are 12 MB on a USB stick and 9 MB sent by a host that gzips (every file
    counted, even those the page does not load); the site keeps a margin for a bigger model."""
    files = [p.read_bytes() for p in animals_site.rglob("*") if p.is_file()]
    assert sum(map(len, files)) <= 11.5e6
    assert sum(len(gzip.compress(data, compresslevel=6)) for data in files) <= 8.8e6


def test_slim_stdlib_drops_only_the_unused_modules_and_stores_the_rest() -> None:
    pyodide = next(p for p in vendor.read_lock() if p.name == "pyodide")
    original = vendor.files(pyodide)["python_stdlib.zip"]
    with (
        zipfile.ZipFile(io.BytesIO(original)) as before,
        zipfile.ZipFile(io.BytesIO(vendor.slim_stdlib(original))) as after,
    ):
        kept = [i.filename for i in before.infolist() if not vendor.unused_stdlib(i.filename)]
        assert [i.filename for i in after.infolist()] == kept
        assert len(kept) < len(before.infolist())
        assert {"asyncio/__init__.py", "encodings/cp437.py", "zipfile/__init__.py", "json/__init__.py"} <= set(kept)
        assert not {"pdb.py", "unittest/__init__.py", "_pyrepl/__init__.py"} & set(kept)
        for info in after.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert after.read(info) == before.read(info.filename), info.filename


def test_slim_lock_keeps_the_info_and_no_packages() -> None:
    pyodide = next(p for p in vendor.read_lock() if p.name == "pyodide")
    lock = vendor.files(pyodide)["pyodide-lock.json"]
    slim = json.loads(wheel.add_to_lock(vendor.slim_lock(lock), b"wheel bytes"))
    assert slim["info"] == json.loads(lock)["info"]
    assert list(slim["packages"]) == [wheel.NAME]


def test_model_folder_name_follows_content(tm_exports: Path, tmp_path: Path) -> None:
    from teachkit.model.files import open_model

    with open_model(tm_exports / "animals-4class") as a, open_model(tm_exports / "edible-3class") as b:
        assert render._model_folder(a)[0] == render._model_folder(a)[0] != render._model_folder(b)[0]


def test_wheel_carries_the_shared_core_byte_for_byte() -> None:
    data = wheel.build()
    assert data == wheel.build()  # deterministic
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        for name in ("preprocess.py", "decide.py"):
            assert zf.read(f"teachkit/core/{name}") == (ROOT / "teachkit" / "core" / name).read_bytes()
        assert "teachkit_app/main.py" in zf.namelist()
        record = zf.read(f"teachkit_app-{wheel.__version__}.dist-info/RECORD").decode()
        assert "teachkit/core/preprocess.py,sha256=" in record


def test_lock_entry_points_at_the_wheel(animals_site: Path) -> None:
    lock = wheel.add_to_lock(b'{"info": {}, "packages": {}}', b"wheel bytes")
    entry = json.loads(lock)["packages"][wheel.NAME]
    assert entry["file_name"] == wheel.filename()
    assert entry["sha256"] == hashlib.sha256(b"wheel bytes").hexdigest()


def test_asset_script_round_trip(tmp_path: Path) -> None:
    import base64
    import re

    data = os.urandom(5000)
    assets.write_asset(tmp_path, "x/y.wasm", data)
    script = (tmp_path / "x/y.wasm.js").read_text()
    m = re.fullmatch(r'teachkitAssets\.register\("x/y\.wasm","application/wasm",5000,"([A-Za-z0-9+/=]+)"\);\n', script)
    assert m and gzip.decompress(base64.b64decode(m.group(1))) == data


def test_weights_are_shuffled_in_their_script_and_read_back_whole(tmp_path: Path) -> None:
    """A model's weights are written byte-shuffled (assets.FLOAT_BYTES): byte k of every float
    together, which gzips smaller; read back, they are the bytes given."""
    import numpy as np

    weights = np.random.default_rng(0).normal(0, 0.05, 20000).astype(np.float32).tobytes()
    plain = assets.write_asset(tmp_path / "a", "m/weights.bin", weights)
    shuffled = assets.write_asset(tmp_path / "b", "m/weights.bin", weights, stride=assets.FLOAT_BYTES)
    assert shuffled < 0.97 * plain  # the exponents' bytes side by side (measured: 0.94x)
    script = (tmp_path / "b/m/weights.bin.js").read_text()
    assert script.endswith(f'",{assets.FLOAT_BYTES});\n')
    assert assets.read_asset(script) == ("m/weights.bin", weights)
    assert assets.shuffled(b"abcdABCD", 4) == b"aAbBcCdD" and assets.unshuffled(b"aAbBcCdD", 4) == b"abcdABCD"
    with pytest.raises(ValueError, match="not a whole number of 4-byte numbers"):
        assets.write_asset(tmp_path / "c", "m/odd.bin", b"12345", stride=4)


def test_a_site_ships_its_model_weights_shuffled(animals_site: Path, tm_exports: Path) -> None:
    folder = next(animals_site.glob("model-*"))
    script = (folder / "weights.bin.js").read_text()
    assert script.endswith(f",{assets.FLOAT_BYTES});\n")
    assert assets.read_asset(script)[1] == (tm_exports / "animals-4class" / "weights.bin").read_bytes()
    assert not (folder / "model.json.js").read_text().endswith(f",{assets.FLOAT_BYTES});\n")


def test_labels_are_escaped_in_the_html(tm_exports: Path, tmp_path: Path, tools) -> None:
    model = tools.copy_model(tm_exports / "edible-3class", tmp_path / "m")
    meta = json.loads((model / "metadata.json").read_text())
    meta["labels"][0] = "<img src=x onerror=alert(1)>"
    (model / "metadata.json").write_text(json.dumps(meta))
    out = render.build_site(model, tmp_path / "dist")
    for page in ("index.html", "about.html"):
        html = (out / page).read_text()
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_failed_render_leaves_the_previous_site(animals_site: Path, tm_exports: Path, tmp_path: Path) -> None:
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(animals_site, dist)
    before = sorted(p.relative_to(dist) for p in dist.rglob("*"))
    with pytest.raises(ModelError, match="greyscale"):
        render.build_site(tm_exports / "google-tiny-grayscale", dist)
    assert sorted(p.relative_to(dist) for p in dist.rglob("*")) == before
    assert not [p for p in tmp_path.iterdir() if p.name != "dist"], "temporary folders left behind"


def test_failure_midway_leaves_the_previous_site(
    animals_site: Path, tm_exports: Path, tmp_path: Path, monkeypatch
) -> None:
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(animals_site, dist)
    index = (dist / "index.html").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(render.wheel, "build", broken)
    with pytest.raises(OSError):
        render.build_site(tm_exports / "edible-3class", dist)
    assert (dist / "index.html").read_bytes() == index


def test_refuses_to_overwrite_a_folder_it_did_not_make(tm_exports: Path, tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "keep.jpg").write_bytes(b"x")
    with pytest.raises(SiteError, match="not a site Teachkit rendered"):
        render.build_site(tm_exports / "animals-4class", tmp_path / "photos")
    assert (tmp_path / "photos" / "keep.jpg").exists()


def test_strict_refuses_a_model_without_a_tuned_rule(tm_exports: Path, tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="not sure"):
        render.build_site(tm_exports / "animals-4class", tmp_path / "dist", strict=True)


def test_a_zip_export_renders(tm_exports: Path, tmp_path: Path) -> None:
    src = tm_exports / "edible-3class"
    z = tmp_path / "converted_tfjs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name in ("model.json", "weights.bin", "metadata.json"):
            zf.write(src / name, name)
    out = render.build_site(z, tmp_path / "dist", title="Is it edible?")
    assert "Is it edible?" in (out / "index.html").read_text()


def test_offline_with_an_empty_cache_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TEACHKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    with pytest.raises(SiteError, match="not in the cache.*first site build needs the npm registry"):
        vendor.runtime()


def test_a_tampered_cache_is_not_used(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TEACHKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))
    pkg = vendor.read_lock()[0]
    cached = tmp_path / "cache" / "npm" / pkg.tarball_name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the package")
    with pytest.raises(SiteError):
        vendor.tarball(pkg)


def test_vendor_lock_pins_versions_and_integrity() -> None:
    pkgs = {p.name: p for p in vendor.read_lock()}
    assert pkgs["pyodide"].version == "314.0.7"
    assert pkgs["@tensorflow/tfjs"].version == "4.22.0"
    assert all(p.integrity.startswith("sha512-") for p in pkgs.values())


def test_serve_binds_loopback_only(animals_site: Path) -> None:
    from teachkit.site.serve import make_server

    with pytest.raises(SiteError, match="only listens on this computer"):
        make_server(animals_site, "0.0.0.0", 0)
    server = make_server(animals_site, "127.0.0.1", 0)
    try:
        import threading
        import urllib.request

        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        name = next(p for p in (animals_site / "runtime/tfjs").iterdir() if p.name.endswith(".js")).name
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/runtime/tfjs/{name}") as r:
            assert r.headers["Content-Type"].startswith("text/javascript")
    finally:
        server.shutdown()
        server.server_close()
