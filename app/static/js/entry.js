// Live word count under a contest text; the server checks the limits again on submit.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-word-count]");
  if (!area) { return; }
  var out = document.getElementById(area.getAttribute("data-word-count"));
  var count = function () {
    var words = (area.value.match(/[\p{L}\p{N}_]+/gu) || []).length;
    out.textContent = words + " " + (out.getAttribute("data-label") || "");
  };
  area.addEventListener("input", count);
  count();
})();
