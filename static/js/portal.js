/* Small behaviour shared by every page. The Content-Security-Policy allows no inline
   script or style, so what templates would otherwise write inline lives here. */
(function () {
  "use strict";
  var HEX = /^#[0-9a-fA-F]{6}$/;
  // Band badges and map swatches: colours from data-bg / data-fg (set through the CSSOM,
  // which the policy allows, rather than a style attribute, which it refuses).
  function paintBadges(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-bg]"), function (badge) {
      var bg = badge.getAttribute("data-bg"), fg = badge.getAttribute("data-fg");
      if (HEX.test(bg)) { badge.style.backgroundColor = bg; }
      if (fg && HEX.test(fg)) { badge.style.color = fg; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { paintBadges(document); });
  } else {
    paintBadges(document);
  }
  window.ictPaintBadges = paintBadges;
}());
