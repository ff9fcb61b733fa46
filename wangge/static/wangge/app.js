/* Wangge staff pages: small behaviours shared by every page. No inline scripts anywhere, so a
   strict Content-Security-Policy can forbid them. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // htmx leaves 4xx answers unswapped by default; our forms answer a refused input with a
  // 422/403 fragment that names the field and the rule, which belongs on the page.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(403|409|422)", swap: true, error: true },
      { code: "[45]..", swap: false, error: true },
    ];
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
