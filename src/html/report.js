"use strict";
(function () {
  var el = document.getElementById("tp-data");
  var data = el ? JSON.parse(el.textContent) : { models: [], channels: [] };
  // Number formats: the same rules as the page's Rust writer.
  function dec(x) {
    var a = Math.abs(x);
    return Math.abs(x - Math.round(x)) <= 1e-9 * Math.max(a, 1) ? 0 : a < 100 ? 2 : a < 10000 ? 1 : 0;
  }
  function grouped(x, d) {
    var s = Math.abs(x).toFixed(d), i = s.indexOf("."), n = i < 0 ? s : s.slice(0, i), out = "";
    for (var k = 0; k < n.length; k++) { if (k > 0 && (n.length - k) % 3 === 0) out += ","; out += n[k]; }
    return (x < 0 && /[1-9]/.test(s) ? "\u2212" : "") + out + (i < 0 ? "" : s.slice(i));
  }
  function plus(x, s) { return x > 0 && /[1-9]/.test(s) ? "+" + s : s; }
  function colDec(xs) { return xs.reduce(function (d, x) { return isFinite(x) ? Math.max(d, dec(x)) : d; }, 0); }
  function fixed(d) { return function (x) { return grouped(x, d); }; }
  function signedFixed(d) { return function (x) { return plus(x, grouped(x, d)); }; }
  var pct = function (x) { return grouped(100 * x, 1) + "%"; };
  var change = function (x) { return plus(x, grouped(x, 1)) + "%"; };
  var pp = function (x) { return plus(x, grouped(100 * x, 1)) + " pp"; };
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function cell(row, f, v, format, signed) {
    var text = v === null ? "\u2013" : format(v);
    var cls = "n" + (signed ? (v > 0 ? " pos" : v < 0 ? " neg" : "") : "");
    return '<td class="' + cls + '" data-t="cmp" data-row="' + esc(row) + '" data-f="' + f +
      '" data-v="' + (v === null ? "" : String(v)) + '">' + text + "</td>";
  }
  function credit(model, channel) {
    var m = data.models.filter(function (x) { return x.model === model; })[0];
    var c = m && m.channels.filter(function (x) { return x.channel === channel; })[0];
    return c || { conversions: 0, value: 0, share: 0 };
  }
  // Model comparison: reference against comparison, per channel.
  function compare() {
    var table = document.getElementById("cmp-table");
    if (!table) return;
    var r = document.getElementById("cmp-ref").value, c = document.getElementById("cmp-cmp").value;
    var pairs = data.channels.map(function (ch) { return [ch, credit(r, ch), credit(c, ch)]; });
    var values = function (get) { return pairs.reduce(function (xs, p) { return xs.concat(get(p[1], p[2])); }, []); };
    var conv = fixed(colDec(values(function (a, b) { return [a.conversions, b.conversions]; })));
    var value = fixed(colDec(values(function (a, b) { return [a.value, b.value]; })));
    var dConv = signedFixed(colDec(values(function (a, b) { return [b.conversions - a.conversions]; })));
    var dValue = signedFixed(colDec(values(function (a, b) { return [b.value - a.value]; })));
    var rel = function (x, y) { return x !== 0 ? 100 * (y - x) / x : null; };
    var html = "";
    pairs.forEach(function (p) {
      var ch = p[0], a = p[1], b = p[2];
      html += "<tr><td>" + esc(ch) + "</td>" +
        cell(ch, "reference_conversions", a.conversions, conv) +
        cell(ch, "comparison_conversions", b.conversions, conv) +
        cell(ch, "delta_conversions", b.conversions - a.conversions, dConv, true) +
        cell(ch, "pct_change_conversions", rel(a.conversions, b.conversions), change, true) +
        cell(ch, "reference_value", a.value, value) +
        cell(ch, "comparison_value", b.value, value) +
        cell(ch, "delta_value", b.value - a.value, dValue, true) +
        cell(ch, "reference_share", a.share, pct) +
        cell(ch, "comparison_share", b.share, pct) +
        cell(ch, "delta_share", b.share - a.share, pp, true) + "</tr>";
    });
    table.tBodies[0].innerHTML = html;
    table.setAttribute("data-ref", r);
    table.setAttribute("data-cmp", c);
    table.querySelectorAll("th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    document.querySelectorAll("#cmp-chart g[data-slot]").forEach(function (g) {
      var want = g.getAttribute("data-slot") === "0" ? r : c;
      g.style.display = g.getAttribute("data-model") === want ? "" : "none";
    });
    document.querySelectorAll("[data-name-of]").forEach(function (s) {
      s.textContent = s.getAttribute("data-name-of") === "ref" ? r : c;
    });
  }
  ["cmp-ref", "cmp-cmp"].forEach(function (id) {
    var s = document.getElementById(id);
    if (s) s.addEventListener("change", compare);
  });
  compare();
  // Views chosen with a select: the element whose data-view matches is shown.
  document.querySelectorAll("select[data-switch]").forEach(function (s) {
    function apply() {
      document.querySelectorAll("[data-view-of]").forEach(function (v) {
        if (v.getAttribute("data-view-of") === s.getAttribute("data-switch")) v.hidden = v.getAttribute("data-view") !== s.value;
      });
    }
    s.addEventListener("change", apply);
    apply();
  });
  // Sortable tables: click a header; numbers sort by their raw value (data-v).
  function key(td) {
    if (!td) return "";
    var v = td.getAttribute("data-v");
    if (v !== null) return v === "" ? -Infinity : parseFloat(v);
    return td.textContent.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (t) {
    t.querySelectorAll("thead th").forEach(function (th, i) {
      th.addEventListener("click", function () {
        var desc = th.getAttribute("aria-sort") !== "descending";
        t.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[i]), y = key(b.cells[i]);
          var o = x < y ? -1 : x > y ? 1 : 0;
          return desc ? -o : o;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
