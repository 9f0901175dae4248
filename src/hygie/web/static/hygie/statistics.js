/* Statistics panel: while a job is queued or running, poll its state, move the progress bar, and
   put the finished panel (charts, or the error) in place. Loaded only while a job is active. */
(function () {
  "use strict";
  var POLL_MS = 2000;

  function start(section) {
    var statusUrl = section.getAttribute("data-status-url");
    var fragmentUrl = section.getAttribute("data-fragment-url");
    var bar = section.querySelector("progress");
    var step = section.querySelector("#statistics-step");

    function replace(state) {
      fetch(fragmentUrl, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("statistics");
          if (!fresh) { return; }
          // Keep the section and its live region, so that screen readers hear the outcome.
          var announce = section.querySelector("#statistics-announce");
          Array.prototype.slice.call(section.childNodes).forEach(function (node) {
            if (node !== announce) { section.removeChild(node); }
          });
          Array.prototype.slice.call(fresh.childNodes).forEach(function (node) {
            if (node.id !== "statistics-announce") {
              section.appendChild(document.importNode(node, true));
            }
          });
          section.removeAttribute("data-polling");
          if (announce) {
            announce.textContent = section.getAttribute(
              state === "done" ? "data-done-message" : "data-ended-message") || "";
          }
        })
        .catch(function () { window.setTimeout(function () { replace(state); }, POLL_MS * 2); });
    }

    function poll() {
      fetch(statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (s) {
          if (bar) { bar.value = s.progress; bar.textContent = s.progress + " %"; }
          if (step && step.textContent !== s.step) { step.textContent = s.step; }
          if (s.active) { window.setTimeout(poll, POLL_MS); } else { replace(s.state); }
        })
        .catch(function () { window.setTimeout(poll, POLL_MS * 2); });
    }

    window.setTimeout(poll, POLL_MS);
  }

  function init() {
    var section = document.querySelector("section.statistics[data-polling]");
    if (section && window.fetch && window.DOMParser) { start(section); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
