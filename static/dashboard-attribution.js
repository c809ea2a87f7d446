/* The Attribution page: while a switch runs, follow its progress through the
   page's JSON twin, and show the finished page when it ends. */
(function () {
  "use strict";
  var box = document.getElementById("switch-progress");
  if (!box || box.getAttribute("data-running") !== "true") {
    return;
  }
  var twin = box.getAttribute("data-twin");
  function poll() {
    fetch(twin, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (data) {
        var s = data && data.switch;
        if (!s) {
          return;
        }
        if (!s.running || s.interrupted) {
          window.location.reload();
          return;
        }
        document.getElementById("switch-bar").value = s.percent;
        document.getElementById("switch-count").textContent =
          s.done.toLocaleString() + " of " + s.total.toLocaleString();
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
