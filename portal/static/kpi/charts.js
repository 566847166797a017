/* KPI charts: reads the JSON block #kpi-chart-data (no inline code) and draws each canvas[data-kpi-chart]
   with the vendored Chart.js. Every chart also has its numbers in a table next to it. */
(function () {
  "use strict";
  var source = document.getElementById("kpi-chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var charts = JSON.parse(source.textContent || "[]");
  // Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
  var COLOURS = { plan: "#5a6470", actual: "#0b5cad", third: "#b4530a", green: "#1a7f37" };
  // Long category labels (Russian ones especially) wrap onto lines of about 16 characters instead of being cut;
  // the tooltip shows the label whole.
  function wrap(label) {
    var words = String(label).split(" "), lines = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > 16) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.length > 1 ? lines : String(label);
  }
  var lang = document.documentElement.lang || "ru";
  var number = new Intl.NumberFormat(lang);
  var drawn = [];
  charts.forEach(function (spec) {
    var canvas = document.querySelector('canvas[data-kpi-chart="' + spec.id + '"]');
    if (!canvas) { return; }
    var datasets = spec.series.map(function (s) {
      var colour = COLOURS[s.color] || COLOURS.actual;
      return { label: s.label, data: s.data, type: s.type || spec.type, backgroundColor: colour,
               borderColor: colour, borderWidth: 2, yAxisID: s.axis === "percent" ? "percent" : "y",
               pointRadius: 3, tension: 0.2 };
    });
    var scales = { y: { beginAtZero: true, grace: "5%", ticks: { callback: function (v) { return number.format(v); } } } };
    if (spec.percentAxis) {
      scales.percent = { position: "right", beginAtZero: true, suggestedMax: 100, grid: { drawOnChartArea: false },
                         ticks: { callback: function (v) { return v + "%"; } } };
    }
    if (spec.horizontal) { scales = { x: { beginAtZero: true, grace: "5%" }, y: { ticks: { autoSkip: false } } }; }
    else { scales.x = { ticks: { autoSkip: false } }; }
    drawn.push(new Chart(canvas, {
      type: spec.type, data: { labels: spec.labels.map(wrap), datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, locale: lang,
                 indexAxis: spec.horizontal ? "y" : "x", scales: scales,
                 plugins: { legend: { labels: { color: "#212529" } },
                            tooltip: { callbacks: { title: function (items) {
                              return items.length ? spec.labels[items[0].dataIndex] : ""; } } } } }
    }));
  });
  // Printing: redraw at the paper's width, and back afterwards.
  function resizeAll() { drawn.forEach(function (c) { c.resize(); }); }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();

/* The KPI table scrolls sideways when there are many stages: bring the running stage into view. */
(function () {
  "use strict";
  var head = document.querySelector(".kpi-table-wrap .kpi-running-head");
  var wrap = head && head.closest(".kpi-table-wrap");
  if (wrap && head.offsetLeft + head.offsetWidth > wrap.clientWidth) {
    // Show the running stage and the columns after it (the program total), and start the scrolled part at a
    // whole column: no sliver of a column peeks out beside the pinned KPI names.
    var heads = Array.prototype.slice.call(head.parentNode.children);
    var pinned = heads[0].offsetWidth;
    var last = heads[heads.length - 1];
    var wanted = Math.min(head.offsetLeft - pinned, last.offsetLeft + last.offsetWidth - wrap.clientWidth);
    var start = heads.slice(1).filter(function (th) { return th.offsetLeft - pinned >= wanted; })[0] || head;
    wrap.scrollLeft = start.offsetLeft - pinned;
  }
})();
