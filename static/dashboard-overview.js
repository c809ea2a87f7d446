// The overview's charts, drawn with Chart.js from the page's own data (the
// <script type="application/json" id="overview-charts"> block): nothing is
// computed here, and every label is drawn on the canvas as text.
(function () {
  "use strict";
  var source = document.getElementById("overview-charts");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var ink = "#1d2330", muted = "#5b6475", line = "#e4e1d8";
  var kinds = { root: "#8a8f99", referred: "#0f766e", mention: "#d97706" };
  // Ten colours that stay apart from each other (Tableau 10).
  var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

  Chart.defaults.color = muted;
  Chart.defaults.borderColor = line;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  var weeks = data.series;
  draw("chart-new", {
    type: "bar",
    data: {
      labels: weeks.labels,
      datasets: [
        { label: "On their own", data: weeks.root, backgroundColor: kinds.root },
        { label: "Referred", data: weeks.referred, backgroundColor: kinds.referred },
        { label: "After a mention", data: weeks.mention, backgroundColor: kinds.mention }
      ]
    },
    options: {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });

  // A week under 90 days old is still spreading: its bar is paler.
  draw("chart-k", {
    type: "bar",
    data: {
      labels: weeks.labels,
      datasets: [{
        label: "k-factor",
        data: weeks.k_factor,
        maxBarThickness: 48,
        backgroundColor: weeks.k_partial.map(function (partial) {
          return partial ? "rgba(15, 118, 110, .35)" : kinds.referred;
        })
      }]
    },
    options: {
      scales: { y: { beginAtZero: true } },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { afterLabel: function (item) {
          return weeks.k_partial[item.dataIndex] ? "still spreading (under 90 days)" : "";
        } } }
      }
    }
  });

  var reach = data.reach;
  draw("chart-reach", {
    type: "line",
    data: {
      labels: reach.labels,
      datasets: reach.starters.map(function (starter, n) {
        return {
          label: starter.name,
          data: starter.reach,
          borderColor: palette[n % palette.length],
          backgroundColor: palette[n % palette.length],
          pointRadius: 0,
          tension: 0.2
        };
      })
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });

  var channels = data.channels;
  draw("chart-channels", {
    type: "bar",
    data: {
      labels: channels.labels,
      datasets: [{ label: "conversations", data: channels.touches, backgroundColor: kinds.referred, maxBarThickness: 28 }]
    },
    options: {
      indexAxis: "y",
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { color: ink } } },
      plugins: { legend: { display: false } }
    }
  });
})();
