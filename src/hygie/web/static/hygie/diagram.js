/* Relations diagram: zoom buttons. The SVG is drawn at its own size (12 px labels) in a frame
   that scrolls; these buttons scale it for an overview or a closer look. Without script the
   diagram stays at its own size and the buttons stay hidden. */
(function () {
  "use strict";
  var STEPS = [0.5, 0.67, 0.8, 1, 1.25, 1.5, 2];

  function init() {
    var bar = document.getElementById("diagram-zoom");
    var frame = document.getElementById("diagram-frame");
    var svg = frame && frame.querySelector("svg");
    if (!bar || !svg) { return; }
    var width = parseFloat(svg.getAttribute("width"));
    var height = parseFloat(svg.getAttribute("height"));
    var level = STEPS.indexOf(1);
    var output = document.getElementById("diagram-zoom-level");
    var buttons = bar.querySelectorAll("button[data-zoom]");

    function apply() {
      var factor = STEPS[level];
      svg.setAttribute("width", String(Math.round(width * factor)));
      svg.setAttribute("height", String(Math.round(height * factor)));
      if (output) { output.textContent = Math.round(factor * 100) + " %"; }
      Array.prototype.forEach.call(buttons, function (b) {
        var kind = b.getAttribute("data-zoom");
        b.disabled = (kind === "out" && level === 0) ||
          (kind === "in" && level === STEPS.length - 1) || (kind === "reset" && STEPS[level] === 1);
      });
    }

    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener("click", function () {
        var kind = b.getAttribute("data-zoom");
        if (kind === "out") { level = Math.max(0, level - 1); }
        else if (kind === "in") { level = Math.min(STEPS.length - 1, level + 1); }
        else { level = STEPS.indexOf(1); }
        apply();
      });
    });
    bar.hidden = false;
    apply();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
