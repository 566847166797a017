// Polls a background export's status and fills the progress bar; shows the download button when ready.
(function () {
  "use strict";
  var box = document.getElementById("export");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var part = function (role) { return box.querySelector('[data-role="' + role + '"]'); };
  var bar = part("bar");
  var fill = bar.querySelector(".progress-bar");
  var countTemplate = part("count-template").innerHTML;
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function show(state) {
    fill.style.width = state.percent + "%";
    fill.textContent = state.percent + "%";
    bar.setAttribute("aria-valuenow", state.percent);
    part("label").textContent = state.label;
    part("count").textContent = countTemplate.replace("{done}", number.format(state.progress))
      .replace("{total}", number.format(state.total));
    if (state.status === "done") {
      fill.classList.remove("progress-bar-striped", "progress-bar-animated");
      fill.classList.add("bg-success");
      if (state.download_url) {
        part("download").href = state.download_url;
        part("ready").hidden = false;
      }
      part("expired").hidden = !state.expired;
      return true;
    }
    if (state.status === "failed") {
      fill.classList.remove("progress-bar-striped", "progress-bar-animated");
      fill.classList.add("bg-danger");
      part("failed").hidden = false;
      return true;
    }
    return false;
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || !show(state)) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
}());
