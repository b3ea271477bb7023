// Quiz page helpers: a countdown and background saving. The server keeps the real time
// limit and every answer is also saved by the page's buttons, so nothing depends on this.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form") || document.getElementById("submit-form");
  var timer = document.getElementById("timer");
  var status = document.getElementById("save-status");

  function show(text) { if (status) { status.textContent = text; } }

  if (timer) {
    var label = timer.getAttribute("data-label") || "";
    var end = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
    var warned = false;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var minutes = Math.floor(left / 60), seconds = left % 60;
      timer.textContent = label + " " + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left <= 60 && !warned) { timer.classList.add("urgent"); warned = true; }
      if (left === 0) {
        clearInterval(handle);
        if (form) {
          if (form.id === "attempt-form") {
            show(form.getAttribute("data-timeup-text"));
            var go = document.createElement("input");
            go.type = "hidden"; go.name = "go"; go.value = "finish";
            form.appendChild(go);
          }
          form.submit();
        }
      }
    };
    var handle = setInterval(tick, 1000);
    tick();
  }

  if (form && form.id === "attempt-form" && window.fetch && window.FormData) {
    var url = form.getAttribute("data-autosave");
    var pending = null;
    var save = function () {
      pending = null;
      fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                   headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (response.status === 409) {
            return response.json().then(function (data) { window.location = data.result; });
          }
          show(response.ok ? form.getAttribute("data-saved-text") : form.getAttribute("data-offline-text"));
        })
        .catch(function () { show(form.getAttribute("data-offline-text")); });
    };
    var later = function () { if (pending) { clearTimeout(pending); } pending = setTimeout(save, 700); };
    form.addEventListener("change", later);
    form.addEventListener("input", later);
  }
})();
