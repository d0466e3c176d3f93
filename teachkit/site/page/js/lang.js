// The page's language: opens this page's copy in the language the pupil wants, before anything
// else loads. Each language is its own file in the same folder (index.html, index.nl.html, ...,
// listed by the <link rel="alternate" hreflang> tags of the head), which works from file:// too.
//
// Which language: the one the pupil chose with the switch (?lang=, remembered in localStorage),
// else the teacher's (`teachkit site --lang`, the teachkit-lang meta tag), else the first of the
// browser's languages that the site speaks, else this page's own.
"use strict";
(function () {
  const KEY = "teachkit.lang";
  const here = document.documentElement.lang;
  const pages = {};
  for (const link of document.querySelectorAll('link[rel="alternate"][hreflang]')) {
    pages[link.hreflang] = link.getAttribute("href");
  }
  const params = new URLSearchParams(location.search);
  const asked = params.get("lang");
  function remember(lang) {
    try {
      localStorage.setItem(KEY, lang);
    } catch (e) {
      // storage off (a private window, a strict browser): the choice holds for this visit only
    }
  }
  function remembered() {
    try {
      return localStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }
  // A click on the switch is remembered by this page too (a file:// page may have storage of its
  // own); a link to another page of the site in this language (nav, hreflang) carries the
  // language along, so that page does not go looking for another one.
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[hreflang]") : null;
    if (!link) return;
    if (link.closest("nav.languages")) {
      remember(link.hreflang);
    } else if (link.hreflang === here && !link.search) {
      link.search = `?lang=${here}&auto=1`;
    }
  });
  if (asked && asked in pages) {
    // The switch's link (or a link a teacher shared). Each file:// page may have storage of its
    // own (WebKit, Firefox), so the page that opens is the one that remembers; a page reached by
    // the redirect below (?lang=xx&auto) never redirects again.
    if (!params.has("auto")) remember(asked);
    return;
  }
  const teacher = document.querySelector('meta[name="teachkit-lang"]');
  const browser = (navigator.languages || [navigator.language || ""])
    .map((tag) => String(tag).toLowerCase().split("-")[0])
    .find((code) => code in pages);
  const candidates = [remembered(), teacher && teacher.content, browser, here];
  const wanted = candidates.find((code) => code && code in pages);
  if (wanted && wanted !== here) {
    params.set("lang", wanted);
    params.set("auto", "1");
    location.replace(`${pages[wanted]}?${params}${location.hash}`);
  }
})();
