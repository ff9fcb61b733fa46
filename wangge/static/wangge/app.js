/* Wangge staff pages: small behaviours shared by every page. No inline scripts anywhere, so a
   strict Content-Security-Policy can forbid them. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    document.documentElement.classList.add("js");

    // Collapsible navigation on small screens.
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }

    // The language menu submits itself; its button stays for browsers without script.
    document.querySelectorAll("form.lang-form").forEach(function (form) {
      var select = form.querySelector("select");
      var button = form.querySelector("button");
      if (button) button.hidden = true;
      if (select) select.addEventListener("change", function () { form.submit(); });
    });
  });
})();
