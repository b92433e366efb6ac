// Tables wider than the screen scroll inside .table-wrap. A scroller must be reachable from the
// keyboard (WCAG 2.1.1), so one that actually scrolls becomes a focusable, named region; one
// that fits stays out of the tab order. Runs on load and on resize. CSP: 'self' scripts only.
(function () {
  "use strict";
  function label(wrap) {
    var caption = wrap.querySelector("caption");
    return (caption && caption.textContent.trim()) || "Table";
  }
  function update() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", label(wrap) + " (scrolls sideways)");
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    }
  }
  var timer = null;
  window.addEventListener("resize", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(update, 150);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
