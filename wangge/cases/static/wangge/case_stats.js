// Case statistics charts: draws the trend, the by-unit bars and the category pie from the data
// the page embeds (#case-stats-data). The tables carry the same figures without JavaScript.
(function () {
  "use strict";
  // Tooltips are built as elements. ECharts writes a formatter's string, and its own default
  // tooltip, as HTML; the default also carries inline style attributes, which the Content
  // Security Policy refuses. Unit and category names are stored text, so they go in as text nodes.
  function el(tag, text, className) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text != null) element.textContent = String(text);
    return element;
  }

  function tooltipBox(title, rows) {
    var box = el("div", null, "chart-tip");
    if (title) box.appendChild(el("div", title, "chart-tip-title"));
    rows.forEach(function (row) {
      var line = el("div", null, "chart-tip-row");
      var swatch = el("span", null, "chart-tip-swatch");
      // A property of the element's style (CSSOM), which the policy allows; not a style attribute.
      if (typeof row.colour === "string") swatch.style.backgroundColor = row.colour;
      line.appendChild(swatch);
      line.appendChild(el("span", row.name, "chart-tip-name"));
      line.appendChild(el("span", row.value, "chart-tip-value"));
      box.appendChild(line);
    });
    return box;
  }

  function axisTooltip(params) {
    var list = [].concat(params || []);
    return tooltipBox(list.length ? list[0].axisValueLabel : "", list.map(function (item) {
      return { colour: item.color, name: item.seriesName, value: item.value };
    }));
  }

  function itemTooltip(item) {
    return tooltipBox(item.seriesName, [
      { colour: item.color, name: item.name, value: item.value + " (" + item.percent + "%)" },
    ]);
  }

  function start() {
    var node = document.getElementById("case-stats-data");
    if (!node || typeof window.echarts === "undefined") return;
    var data = JSON.parse(node.textContent);
    var names = data.names;
    var charts = [];
    function chart(id, option) {
      var element = document.getElementById(id);
      if (!element) return;
      var instance = window.echarts.init(element);
      instance.setOption(option);
      charts.push(instance);
    }
    var grid = { left: 40, right: 16, top: 36, bottom: 40, containLabel: true };
    chart("chart-trend", {
      tooltip: { trigger: "axis", formatter: axisTooltip },
      legend: { top: 0 },
      grid: grid,
      xAxis: { type: "category", data: data.series.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: ["reported", "registered", "closed"].map(function (key) {
        return { name: names[key], type: "line", data: data.series[key] };
      }),
    });
    if (data.units.labels.length) {
      chart("chart-units", {
        tooltip: { trigger: "axis", formatter: axisTooltip },
        legend: { top: 0 },
        grid: grid,
        xAxis: { type: "category", data: data.units.labels, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value", minInterval: 1 },
        series: ["reported", "closed"].map(function (key) {
          return { name: names[key], type: "bar", data: data.units[key] };
        }),
      });
    }
    if (data.categories.length) {
      chart("chart-categories", {
        // confine: ECharts then draws no arrow, which it would write as a style attribute.
        tooltip: { trigger: "item", formatter: itemTooltip, confine: true },
        series: [{ name: names.reported, type: "pie", radius: ["35%", "65%"], data: data.categories }],
      });
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (instance) { instance.resize(); });
    });
    // A quick period choice fills the dates and submits; editing a date means "custom".
    var form = document.getElementById("stats-filters");
    var period = document.getElementById("f-period");
    ["f-start", "f-end"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input && period) input.addEventListener("change", function () { period.value = "custom"; });
    });
    ["f-unit", "f-period", "f-category", "f-group"].forEach(function (id) {
      var select = document.getElementById(id);
      if (select && form) select.addEventListener("change", function () { form.submit(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
