/* Language switch shared by every page: ?lang=nb|en, then the last choice, then the browser. */
(function () {
  "use strict";
  var LANGS = ["nb", "en"];
  function pick() {
    var q = new URLSearchParams(location.search).get("lang");
    if (LANGS.indexOf(q) >= 0) return q;
    try { var s = localStorage.getItem("spineviz-lang"); if (LANGS.indexOf(s) >= 0) return s; } catch (e) {}
    var nav = (navigator.language || "en").toLowerCase();
    return /^(nb|no|nn)\b/.test(nav) ? "nb" : "en";
  }
  function set(lang) {
    document.documentElement.lang = lang;
    document.querySelectorAll(".langs button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.set === lang));
    });
    document.querySelectorAll("a[data-keep-lang]").forEach(function (a) {
      var url = new URL(a.getAttribute("href"), location.href);
      url.searchParams.set("lang", lang);
      a.href = url.href;
    });
    var t = document.querySelector("title[data-" + lang + "]");
    if (t) document.title = t.getAttribute("data-" + lang);
    try { localStorage.setItem("spineviz-lang", lang); } catch (e) {}
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (new URLSearchParams(location.search).get("embed") === "1") document.body.classList.add("embed");
    document.querySelectorAll(".langs button").forEach(function (b) {
      b.addEventListener("click", function () { set(b.dataset.set); });
    });
    set(pick());
  });
})();
