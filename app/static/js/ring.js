// Brain ring: short-poll the screen's fragment about once a second; send answers without reloading.
(function () {
  "use strict";
  var box = document.querySelector("[data-poll]");
  if (!box) { return; }
  var shownAt = Date.now();

  function since() {
    var inner = box.querySelector("[data-since]");
    return inner ? inner.getAttribute("data-since") : "";
  }

  function tick() {
    var left = box.querySelector("[data-seconds-left]");
    if (left) {
      var remaining = Math.max(0, parseFloat(left.getAttribute("data-seconds-left")) - (Date.now() - shownAt) / 1000);
      left.textContent = Math.ceil(remaining);
    }
  }

  function wire() {
    shownAt = Date.now();
    box.querySelectorAll("form[data-answer]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        box.querySelectorAll("button.pad").forEach(function (b) { b.disabled = true; });
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                             headers: { "X-Requested-With": "fetch" } })
          .then(function () { poll(true); })
          .catch(function () { poll(true); });
      });
    });
  }

  // A new screen never replaces the one under a finger or a mouse button (the press and the release would land on
  // two different buttons, and the click would be lost), nor the one whose form is taking the host to the next step.
  var pressed = false, leaving = false;
  box.addEventListener("pointerdown", function () { pressed = true; });
  ["pointerup", "pointercancel"].forEach(function (name) {
    document.addEventListener(name, function () { setTimeout(function () { pressed = false; }, 0); });
  });
  box.addEventListener("submit", function (event) { if (!event.defaultPrevented) { leaving = true; } });

  var timer = null;
  function poll(now) {
    if (timer) { clearTimeout(timer); }
    var url = box.getAttribute("data-poll") + "?since=" + encodeURIComponent(since());
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 200) { return response.text(); }
        return null;
      })
      .then(function (html) { if (html && !pressed && !leaving) { box.innerHTML = html; wire(); } })
      .catch(function () { /* the next poll retries: a phone that lost the network resumes */ })
      .then(function () { timer = setTimeout(poll, 1000); });
  }

  wire();
  setInterval(tick, 250);
  timer = setTimeout(poll, 1000);
}());
