// Draws the figures page's charts from the JSON block the server rendered (the tables below
// each chart hold the same numbers; without JavaScript the tables alone are the page).
(function () {
  "use strict";
  var source = document.getElementById("figures-data");
  if (!source || typeof window.echarts === "undefined") return;
  var fig = JSON.parse(source.textContent);
  var base = { animation: false, textStyle: { fontFamily: "sans-serif" },
    tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 48, right: 48, top: 36, bottom: 28 } };
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, option));
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function pct(v) { return Math.round(v * 10000) / 100; }
  var months = fig.monthly.map(function (m) { return m.month; });
  draw("chart-monthly", {
    legend: { top: 0 },
    xAxis: { type: "category", data: months },
    yAxis: [{ type: "value", name: "笔" }, { type: "value", name: "%", max: 100 }],
    series: [
      { name: "已办理", type: "bar", data: fig.monthly.map(function (m) { return m.total; }) },
      { name: "已办结", type: "bar", data: fig.monthly.map(function (m) { return m.completed; }) },
      { name: "办结率", type: "line", yAxisIndex: 1, data: fig.monthly.map(function (m) { return pct(m.completion_rate); }) },
      { name: "按时办结率", type: "line", yAxisIndex: 1, data: fig.monthly.map(function (m) { return pct(m.on_time_rate); }) }
    ]
  });
  function bars(id, items, valueKey, labelKey) {
    draw(id, {
      xAxis: { type: "category", data: items.map(function (i) { return i[labelKey]; }),
        axisLabel: { interval: 0, rotate: items.length > 3 ? 25 : 0, width: 90, overflow: "truncate" } },
      yAxis: { type: "value" },
      series: [{ type: "bar", data: items.map(function (i) { return i[valueKey]; }), label: { show: true, position: "top" } }]
    });
  }
  bars("chart-kind", fig.by_kind, "count", "label");
  bars("chart-channel", fig.by_channel, "count", "label");
  bars("chart-partner", fig.by_partner.slice(0, 8), "filed", "partner");
  bars("chart-verify", fig.verifications, "count", "label");
  draw("chart-handover", {
    legend: { top: 0 },
    xAxis: { type: "category", data: months },
    yAxis: { type: "value", name: "套" },
    series: [
      { name: "交房即交证", type: "bar", data: fig.monthly.map(function (m) { return m.handed_over; }) },
      { name: "其中已发证", type: "bar", data: fig.monthly.map(function (m) { return m.with_deed; }) }
    ]
  });
  var utilities = fig.utility_transfers || [];
  draw("chart-utility", {
    legend: { top: 0 },
    xAxis: { type: "category", data: utilities.map(function (u) { return u.label; }) },
    yAxis: { type: "value", name: "笔", minInterval: 1 },
    series: [
      { name: "申请过户", type: "bar", data: utilities.map(function (u) { return u.requested; }), label: { show: true, position: "top" } },
      { name: "已过户", type: "bar", data: utilities.map(function (u) { return u.completed; }), label: { show: true, position: "top" } }
    ]
  });
})();
