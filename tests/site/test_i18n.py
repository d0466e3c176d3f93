"""The site's languages: every visible string in the catalog and translated, the teacher's
default (--lang), the pupil's switch (remembered), the browser's language followed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages import extract, frontend, pofile

from teachkit.site import i18n, sources

SITE = Path(i18n.__file__).parent  # teachkit/site: where babel.cfg's paths start
OTHERS = [code for code in i18n.LANGUAGES if code != i18n.SOURCE]


def _extracted() -> set[str | tuple[str, ...]]:
    """The messages in the sources now, extracted as `pybabel extract` does (babel.cfg)."""
    with (i18n.LOCALE / "babel.cfg").open() as f:
        method_map, options_map = frontend.parse_mapping_cfg(f)
    ids: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract.extract_from_dir(
        str(SITE), method_map, options_map, keywords=extract.DEFAULT_KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else tuple(message[:2]))
    return ids


def _pot_ids() -> set[str | tuple[str, ...]]:
    with (i18n.LOCALE / "messages.pot").open("rb") as f:
        return {m.id if isinstance(m.id, str) else tuple(m.id) for m in pofile.read_po(f) if m.id}


def test_every_message_of_the_sources_is_in_the_catalog() -> None:
    """A string wrapped in a template or in the page's Python but missing from messages.pot (or
    the other way round) fails here: run `pybabel extract` and `pybabel update` (docs/translating.md)."""
    extracted, pot = _extracted(), _pot_ids()
    assert extracted - pot == set(), "not in messages.pot: run pybabel extract (docs/translating.md)"
    assert pot - extracted == set(), "in messages.pot but gone from the sources: run pybabel extract"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_is_translated(lang: str) -> None:
    pot = _pot_ids()
    with (i18n.LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = pofile.read_po(f, locale=lang)
    by_id = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id}
    assert set(by_id) == pot, f"{lang}: run pybabel update (docs/translating.md)"
    for key, m in by_id.items():
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        assert all(strings) and not m.fuzzy, f"{lang}: not translated: {key!r}"
        assert not list(m.check(catalog)), f"{lang}: {key!r}: {list(m.check(catalog))}"  # placeholders, plurals


def test_the_wheel_carries_the_compiled_catalogs() -> None:
    import gettext
    import io
    import zipfile

    from teachkit.site import wheel

    with zipfile.ZipFile(io.BytesIO(wheel.build())) as zf:
        for lang in OTHERS:
            data = zf.read(f"teachkit_app/locale/{lang}/LC_MESSAGES/messages.mo")
            assert gettext.GNUTranslations(io.BytesIO(data)).gettext("Stop camera") != "Stop camera"


def test_labels_never_pass_through_gettext() -> None:
    """The teacher's labels are data: no template or module of the page hands one to gettext."""
    for path in [*sources.TEMPLATES.glob("*.html"), *sources.APP.glob("*.py")]:
        text = path.read_text()
        assert not re.search(r"_\(\s*(label|name|result\.label|r\.label|cell\.)", text), path


# -- the rendered site -------------------------------------------------------------------------
def test_lang_sets_the_default(tm_exports: Path, tmp_path: Path) -> None:
    from teachkit import cli

    out = tmp_path / "dist"
    assert cli.main(["site", str(tm_exports / "animals-4class"), "--out", str(out), "--lang", "nl"]) == 0
    index = (out / "index.html").read_text()
    assert '<html lang="nl">' in index and '<meta name="teachkit-lang" content="nl">' in index
    assert "Foto&#39;s kiezen" in index or "Foto's kiezen" in index
    assert '<html lang="en">' in (out / "index.en.html").read_text()
    assert not (out / "index.nl.html").exists()
    config = json.loads(re.search(r'id="teachkit-config">(.*?)</script>', index).group(1))
    assert config["text"]["Starting Python…"] == "Python starten…"


def test_an_unknown_lang_is_refused_before_any_work(tm_exports: Path, tmp_path: Path, capsys: Any) -> None:
    from teachkit import cli

    assert cli.main(["site", str(tm_exports / "animals-4class"), "--out", str(tmp_path / "d"), "--lang", "xx"]) == 2
    assert "--lang" in capsys.readouterr().err and not (tmp_path / "d").exists()


def test_pages_in_every_language(animals_site: Path) -> None:
    for lang in i18n.LANGUAGES:
        for page in ("index", "about"):
            name = f"{page}.html" if lang == "en" else f"{page}.{lang}.html"
            html = (animals_site / name).read_text()
            assert f'<html lang="{lang}">' in html, name
            assert "teachkit-lang" not in html  # no --lang: the browser's language decides


# -- in the browser ----------------------------------------------------------------------------
BRANDS = {"Teachkit", "Teachable Machine", "TensorFlow.js", "F1", "webgl", "wasm", "cpu", *i18n.LANGUAGES.values()}
#: Words that are the same in English and in a language (checked: Dutch says "camera" too).
SAME = {
    "nl": {"Camera", "info"},
    "fr": {"Classes", "photos", "validation", "info", "points", "strict"},
    "de": {"Name"},
    "es": {"no", "error"},
}
FILES = re.compile(r"\S+\.(jpe?g|png|html)\b|\bmodel-\w+/")
NUMBERS = re.compile(r"^[\d\s.,:%×x()/+-]*$")

TEXTS = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    // The dataset report's findings are written by the build in English (see docs/translating.md,
    // "Not translated yet"). #per-photo is filled by js/tfstart.js, outside the catalog for now.
    if (n.parentElement.closest("script, style, .findings, .recipe dd, #per-photo")) continue;
    const t = n.textContent.trim();
    if (t) out.push(t);
  }
  for (const el of document.body.querySelectorAll("[aria-label], [title], [alt]")) {
    for (const a of ["aria-label", "title", "alt"]) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return out;
}"""


def _same_as_english(texts: list[str], english: list[str], allowed: set[str]) -> list[str]:
    """The texts of a translated page that are also on the English page and are not labels,
    numbers, brand names or file names."""
    words = re.compile("|".join(rf"\b{re.escape(w)}\b" for w in BRANDS | allowed))
    return sorted({t for t in texts if t in english and not NUMBERS.match(words.sub("", FILES.sub("", t)))})


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", OTHERS)
def test_the_about_page_and_the_model_card_are_translated(browser, tools, trained_site: Path, lang: str) -> None:
    site = tools.open_site(browser, (trained_site / "about.html").as_uri(), inside="file://", wait=False)
    try:
        english = site.page.evaluate(TEXTS)
        charts = "els => els.map(e => e.textContent)"  # the charts' titles, axes and legends (SVG)
        english_charts = site.page.eval_on_selector_all("svg.chart text, svg.chart > title", charts)
        labels = set(site.page.eval_on_selector_all("ul.labels li", "els => els.map(e => e.textContent)"))
        site.page.goto((trained_site / f"about.{lang}.html").as_uri() + f"?lang={lang}")
        assert site.page.evaluate("document.documentElement.lang") == lang
        texts = site.page.evaluate(TEXTS)
        chart_words = site.page.eval_on_selector_all("svg.chart text, svg.chart > title", charts)
    finally:
        site.close()
    title = english[0].split(": ", 1)[-1]
    allowed = labels | SAME[lang] | {title, "-"}
    assert _same_as_english(texts, english, allowed) == []
    assert any(label in texts for label in labels)  # labels exactly as the teacher wrote them
    words = [w for w in english_charts if re.search("[A-Za-z]{3}", w)]  # not the axes' numbers
    assert words and not [w for w in words if w in chart_words and w not in SAME[lang]], chart_words


@pytest.mark.browser
@pytest.mark.slow
def test_the_classify_page_and_its_python_speak_dutch(browser, tools, animals_server, tm_exports: Path) -> None:
    photo = tools.samples(tm_exports / "animals-4class", per_class=1)[0][1]
    texts: dict[str, list[str]] = {}
    labels: set[str] = set()
    for lang, page in (("en", "index.html?backend=wasm"), ("nl", "index.nl.html?lang=nl&backend=wasm")):
        site = tools.open_site(browser, animals_server.url + page, inside=animals_server.url)
        try:
            labels = set(site.page.evaluate("teachkit.labels"))
            assert site.page.evaluate("document.documentElement.lang") == lang
            site.page.set_input_files("#photos", str(photo))
            site.page.wait_for_selector("#results article.result")
            texts[lang] = site.page.evaluate(TEXTS)
            if lang == "nl":
                # The page's Python reads the same catalog (gettext in Pyodide): its messages too.
                with pytest.raises(Exception, match="Het bestand is geen afbeelding"):
                    site.page.evaluate("teachkit.classify(new Blob(['not a picture'], {type: 'text/plain'}))")
                assert (
                    site.page.evaluate("teachkitPyodide.runPython(`from teachkit_app.i18n import _\n_('Stop camera')`)")
                    == "Camera stoppen"
                )
            assert site.errors == [], (site.errors, site.console)
        finally:
            site.close()
    allowed = labels | SAME["nl"] | {texts["en"][0]}  # the title: the model's name
    assert _same_as_english(texts["nl"], texts["en"], allowed) == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("where", ["hosted", "file"])
def test_the_switch_changes_language_and_is_remembered(browser, tools, animals_server, animals_site, where) -> None:
    base = animals_server.url if where == "hosted" else animals_site.as_uri() + "/"
    site = tools.open_site(browser, base + "index.html", inside=base, wait=False)
    page = site.page
    lang = "document.documentElement.lang"
    try:
        assert page.evaluate(lang) == "en"  # Playwright's Chromium says en-US
        page.click("nav.languages a[hreflang=nl]")
        page.wait_for_function(f"{lang} === 'nl'")
        assert page.inner_text("label[for=photos]") == "Foto's kiezen"
        page.click("header nav:not(.languages) a[href='about.nl.html']")  # About, in Dutch
        page.wait_for_url(re.compile(r"about\.nl\.html"))
        assert page.evaluate(lang) == "nl"
        page.goto(base + "index.html")  # a fresh visit: the choice is remembered
        page.wait_for_function(f"{lang} === 'nl'")
        assert "index.nl.html" in page.url
        page.click("nav.languages a[hreflang=en]")
        page.wait_for_function(f"{lang} === 'en'")
        page.goto(base + "index.html")
        page.wait_for_load_state()
        assert page.evaluate(lang) == "en" and "index.html" in page.url
    finally:
        site.close()


@pytest.mark.browser
@pytest.mark.slow
def test_the_browsers_language_is_followed_unless_the_teacher_chose(browser, tools, animals_server) -> None:
    site = tools.open_site(
        browser, animals_server.url + "about.html", inside=animals_server.url, wait=False, locale="fr-FR"
    )
    try:
        site.page.wait_for_function("document.documentElement.lang === 'fr'")
        assert "about.fr.html" in site.page.url
        assert site.page.inner_text("main h2") == "À propos de ce modèle"
    finally:
        site.close()
