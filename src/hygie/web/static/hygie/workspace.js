/* A workspace's page while an extraction or a job is under way: poll its state (the section's
   data-status-url), announce it, and load the page again once it has changed. Loaded only while
   something runs; without script, the page's "Refresh the page" link does the same. */
(function () {
  "use strict";
  var section = document.querySelector("[data-status-url][data-polling]");
  if (!section || !window.fetch) { return; }
  var announce = document.getElementById("poll-state");
  var delay = 2000, shown = section.getAttribute("data-version");

  function poll() {
    fetch(section.getAttribute("data-status-url"),
          {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        var said = s.label + (s.progress ? " · " + s.progress : "");
        if (announce && announce.textContent !== said) { announce.textContent = said; }
        if (!s.active || s.version !== shown) { window.location.reload(); return; }
        delay = Math.min(delay * 1.3, 10000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, delay);
}());
