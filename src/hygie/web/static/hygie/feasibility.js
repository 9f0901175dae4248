// Feasibility counts: while a count runs in the background, poll its state and, once it is over,
// refresh the status and the results from the page itself (no inline script: CSP 'self').
(function () {
  "use strict";
  var status = document.getElementById("count-status");
  if (!status || status.dataset.counting !== "1") { return; }
  var delay = 1500;

  function replaceFrom(fresh, id) {
    var mine = document.getElementById(id), theirs = fresh.getElementById(id);
    if (mine && theirs) { mine.replaceWith(document.importNode(theirs, true)); }
  }

  function finish() {
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        replaceFrom(fresh, "count-results");
        replaceFrom(fresh, "count-button");
        // Update the live region's content (not the region itself) so that it is announced.
        ["count-state", "count-error"].forEach(function (id) {
          var mine = document.getElementById(id), theirs = fresh.getElementById(id);
          if (mine && theirs) {
            mine.textContent = theirs.textContent;
            mine.className = theirs.className;
          }
        });
      })
      .catch(function () { window.location.reload(); });
  }

  function poll() {
    fetch(status.dataset.url, {credentials: "same-origin", cache: "no-store",
                               headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        var state = document.getElementById("count-state");
        if (state && state.textContent.trim() !== s.label) {
          state.textContent = s.label;
          state.className = "state state-" + s.state;
        }
        if (s.counting) {
          delay = Math.min(delay * 1.3, 10000);
          window.setTimeout(poll, delay);
        } else {
          status.dataset.counting = "0";
          finish();
        }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, delay);
})();
