// wavebump status page: live updates over Server-Sent Events and the abort
// confirmation. The page works without this script; with it, a change of
// the rollout re-fetches the page and swaps its regions in place, and the
// polite live region says what changed (targets whose state changed, then
// the rollout's state and counts). Nothing here builds HTML from data.
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
  // Target rows by repository (and position, for monorepos): state and
  // the state's words.
  function rows(doc) {
    var out = {};
    var seen = {};
    var trs = doc.querySelectorAll("tr[data-target]");
    for (var i = 0; i < trs.length; i++) {
      var repo = trs[i].getAttribute("data-target");
      seen[repo] = (seen[repo] || 0) + 1;
      var badge = trs[i].querySelector(".badge");
      out[repo + "#" + seen[repo]] = {
        repo: repo,
        state: trs[i].getAttribute("data-state"),
        words: badge ? badge.textContent : trs[i].getAttribute("data-state")
      };
    }
    return out;
  }
  // "acme/svc-a: ✓ CI passed; ..." for the rows whose state changed.
  function changes(before, after) {
    var said = [];
    for (var key in after) {
      if (Object.prototype.hasOwnProperty.call(after, key) && before[key] && before[key].state !== after[key].state) {
        said.push(after[key].repo + ": " + after[key].words);
      }
    }
    if (said.length > 5) {
      said = said.slice(0, 5).concat(["and " + (said.length - 5) + " more"]);
    }
    return said.join("; ");
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var changed = changes(rows(document), rows(doc));
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
          status.textContent = "Updated: " + (changed ? changed + ". " : "") + header.getAttribute("data-summary");
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
