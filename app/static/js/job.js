// A job's progress page: moves the bar every second between the page's own refreshes
// (a meta refresh, which alone keeps the page current without JavaScript) and reloads it when the job is over.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !document.querySelector('meta[http-equiv="refresh"]')) { return; }
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var state = document.getElementById("job-state");
  var poll = function () {
    fetch(box.getAttribute("data-status"), {credentials: "same-origin"}).then(function (response) {
      return response.json();
    }).then(function (job) {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      percent.textContent = job.percent;
      state.textContent = job.state_label;
      if (job.finished) { window.location.reload(); return; }
      window.setTimeout(poll, 1000);
    }).catch(function () { window.setTimeout(poll, 3000); });
  };
  window.setTimeout(poll, 1000);
})();
