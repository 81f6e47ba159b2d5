// wavebump status page: live updates over Server-Sent Events and the abort
// confirmation. The page works without this script; with it, a change of
// the rollout re-fetches the page and swaps its regions in place, and the
// polite live region says what changed. Nothing here builds HTML from data.
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });
  var root = document.querySelector("[data-live]");
  var status = document.getElementById("live-status");
  if (!root || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var busy = false;
  var again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var regions = document.querySelectorAll("[data-region]");
        for (var i = 0; i < regions.length; i++) {
          var name = regions[i].getAttribute("data-region");
          var fresh = doc.querySelector('[data-region="' + name + '"]');
          var active = document.activeElement;
          if (fresh && !(active && regions[i].contains(active) && active.tagName === "INPUT")) {
            regions[i].replaceWith(document.importNode(fresh, true));
          }
        }
        var header = doc.querySelector("[data-summary]");
        if (status && header) {
          status.textContent = "Updated: " + header.getAttribute("data-summary");
        }
      })
      .catch(function () { /* the next change tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var source = new EventSource(root.getAttribute("data-live"));
  source.addEventListener("change", refresh);
  document.documentElement.setAttribute("data-live-ready", "1");
})();
