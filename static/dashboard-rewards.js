// The Rewards page: "tick every approved reward" for the bulk button, and the
// rules' fields shown only where they apply (every field still works without
// this script). No HTML is ever built from data here.
(function () {
  "use strict";
  var all = document.getElementById("tick-all");
  var boxes = document.querySelectorAll("input[name=ids]");
  if (all && boxes.length) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  }
  document.querySelectorAll("fieldset.rule").forEach(function (set) {
    var trigger = set.querySelector("[data-trigger]");
    var kind = set.querySelector("[data-kind]");
    function follow() {
      set.querySelectorAll("[data-when]").forEach(function (field) {
        field.hidden = field.getAttribute("data-when") !== trigger.value;
      });
      set.querySelectorAll("[data-kind-of]").forEach(function (field) {
        field.hidden = field.getAttribute("data-kind-of") !== kind.value;
      });
    }
    trigger.addEventListener("change", follow);
    kind.addEventListener("change", follow);
    follow();
  });
})();
