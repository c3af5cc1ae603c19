/**
 * The HTML report's inline script: plain JavaScript that draws the SVG charts from the JSON
 * embedded in the page (chart points are computed by the reporter; the page only scales and
 * draws), with a log/linear switch for latency and hover read-outs. No library, no network.
 * Kept as a string without backticks or template placeholders so it embeds as it is.
 */
export const SCRIPT = String.raw`
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var W = 720, H = 340, M = { l: 64, r: 18, t: 14, b: 46 };
  var data = JSON.parse(document.getElementById('mqbench-data').textContent);
  var pal = data.palette;
  var BAND = { ramp: '#ece6f6', warmup: '#fdf0d5', drain: '#e3ecf5' };
  var BAND_NAME = { ramp: 'ramp', warmup: 'warm-up', drain: 'drain' };

  function styleOf(i) {
    return { color: pal.colors[i % pal.colors.length], dash: pal.dashes[Math.floor(i / pal.colors.length) % pal.dashes.length] };
  }
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== '') e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function trim(n, digits) { return String(Number(n.toFixed(digits))); }
  function fmtUs(v) {
    if (v < 1000) return Math.round(v) + '\u00b5s';
    if (v < 1e6) return trim(v / 1000, v < 1e4 ? 2 : 1) + 'ms';
    return trim(v / 1e6, 2) + 's';
  }
  function fmtCount(v) { return Math.round(v).toLocaleString('en-US'); }
  function pctTick(x) {
    if (x === 0) return '0%';
    return (100 * (1 - Math.pow(10, -x))).toFixed(Math.max(0, x - 2)) + '%';
  }
  function pctPoint(p) {
    if (p >= 100) return 'max';
    var digits = Math.max(0, Math.ceil(-Math.log10(100 - p)) + 1);
    var s = p.toFixed(Math.min(6, digits)).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    return 'p' + s;
  }
  function linearTicks(max) {
    if (!(max > 0)) max = 1;
    var raw = max / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
    [1, 2, 2.5, 5, 10].some(function (m) { step = m * mag; return m * mag >= raw; });
    var top = Math.ceil(max / step) * step, ticks = [];
    for (var v = 0; v <= top + step / 2; v += step) ticks.push(v);
    return { lo: 0, hi: top, ticks: ticks };
  }
  function logTicks(min, max) {
    min = Math.max(1, min); max = Math.max(min, max);
    var cand = [];
    for (var e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
      [1, 2, 5].forEach(function (m) { cand.push(m * Math.pow(10, e)); });
    }
    var lo = cand.filter(function (c) { return c <= min; }).pop() || 1;
    var hi = cand.filter(function (c) { return c >= max; })[0] || max;
    if (hi <= lo) hi = lo * 2;
    var ticks = cand.filter(function (c) { return c >= lo && c <= hi; });
    if (ticks.length > 9) ticks = ticks.filter(function (c) { return Math.abs(Math.log10(c) % 1) < 1e-9 || c === lo || c === hi; });
    return { lo: lo, hi: hi, ticks: ticks, log: true };
  }
  function scaler(d, a, b) {
    if (d.log) {
      var l0 = Math.log10(d.lo), l1 = Math.log10(d.hi);
      return function (v) { return a + (Math.log10(Math.max(v, d.lo)) - l0) / (l1 - l0) * (b - a); };
    }
    return function (v) { return a + (v - d.lo) / (d.hi - d.lo || 1) * (b - a); };
  }
  function pathOf(points, sx, sy) {
    return points.map(function (p, i) { return (i === 0 ? 'M' : 'L') + sx(p[0]).toFixed(1) + ' ' + sy(p[1]).toFixed(1); }).join(' ');
  }
  function clear(svg) {
    Array.prototype.slice.call(svg.childNodes).forEach(function (n) {
      if (n.nodeName !== 'title' && n.nodeName !== 'desc') svg.removeChild(n);
    });
  }
  function frame(svg, xd, yd, xfmt, yfmt, xlabel, ylabel) {
    var sx = scaler(xd, M.l, W - M.r), sy = scaler(yd, H - M.b, M.t);
    var g = el('g', { 'aria-hidden': 'true' }, svg);
    yd.ticks.forEach(function (v) {
      el('line', { x1: M.l, x2: W - M.r, y1: sy(v), y2: sy(v), 'class': 'grid' }, g);
      el('text', { x: M.l - 8, y: sy(v) + 4, 'text-anchor': 'end', 'class': 'tick' }, g, yfmt(v));
    });
    xd.ticks.forEach(function (v) {
      el('line', { x1: sx(v), x2: sx(v), y1: M.t, y2: H - M.b, 'class': 'grid' }, g);
      el('text', { x: sx(v), y: H - M.b + 17, 'text-anchor': 'middle', 'class': 'tick' }, g, xfmt(v));
    });
    el('line', { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, 'class': 'axis' }, g);
    el('line', { x1: M.l, x2: M.l, y1: M.t, y2: H - M.b, 'class': 'axis' }, g);
    el('text', { x: (M.l + W - M.r) / 2, y: H - 6, 'text-anchor': 'middle', 'class': 'label' }, g, xlabel);
    el('text', { x: 14, y: (M.t + H - M.b) / 2, 'text-anchor': 'middle', 'class': 'label', transform: 'rotate(-90 14 ' + (M.t + H - M.b) / 2 + ')' }, g, ylabel);
    return { sx: sx, sy: sy };
  }
  function nearest(points, x) {
    var best = null;
    points.forEach(function (p) { if (best === null || Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p; });
    return best;
  }
  /** Hover read-out: a guide at the pointer's x and each series' nearest point. */
  function hover(fig, svg, s, series, xdom, fmtRow, head) {
    var tip = fig.querySelector('.tooltip');
    var guide = el('line', { 'class': 'guide', y1: M.t, y2: H - M.b, visibility: 'hidden' }, svg);
    var dots = series.map(function (ser) { return el('circle', { r: 3.5, fill: ser.color, visibility: 'hidden' }, svg); });
    function hide() { tip.hidden = true; guide.setAttribute('visibility', 'hidden'); dots.forEach(function (d) { d.setAttribute('visibility', 'hidden'); }); }
    svg.onpointerleave = hide;
    svg.onpointermove = function (ev) {
      var m = svg.getScreenCTM(); if (!m) return;
      var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
      var loc = pt.matrixTransform(m.inverse());
      if (loc.x < M.l || loc.x > W - M.r) { hide(); return; }
      var x = xdom.lo + (loc.x - M.l) / (W - M.r - M.l) * (xdom.hi - xdom.lo);
      tip.textContent = '';
      var h = document.createElement('div'); h.textContent = head(x); tip.appendChild(h);
      series.forEach(function (ser, i) {
        var p = nearest(ser.points, x);
        if (!p) { dots[i].setAttribute('visibility', 'hidden'); return; }
        dots[i].setAttribute('cx', s.sx(p[0])); dots[i].setAttribute('cy', s.sy(p[1])); dots[i].setAttribute('visibility', 'visible');
        var row = document.createElement('div');
        var sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = ser.color; row.appendChild(sw);
        var b = document.createElement('b'); b.textContent = ser.name + ': '; row.appendChild(b);
        row.appendChild(document.createTextNode(fmtRow(p)));
        tip.appendChild(row);
      });
      guide.setAttribute('x1', s.sx(x)); guide.setAttribute('x2', s.sx(x)); guide.setAttribute('visibility', 'visible');
      tip.hidden = false;
      var fr = fig.getBoundingClientRect();
      var left = ev.clientX - fr.left + 14;
      if (left + tip.offsetWidth > fr.width - 4) left = ev.clientX - fr.left - tip.offsetWidth - 14;
      tip.style.left = Math.max(4, left) + 'px';
      tip.style.top = Math.max(4, ev.clientY - fr.top - tip.offsetHeight - 10) + 'px';
    };
  }
  function drawPercentile(fig, svg, c, logScale) {
    clear(svg);
    var vals = [];
    c.series.forEach(function (s) { s.points.forEach(function (p) { vals.push(p[2]); }); });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    var yd = logScale ? logTicks(lo, hi) : linearTicks(hi);
    var xd = { lo: 0, hi: c.xMax, ticks: [] };
    for (var i = 0; i <= c.xMax; i++) xd.ticks.push(i);
    var s = frame(svg, xd, yd, pctTick, fmtUs, 'percentile (log scale of 1/(1-p))', 'latency' + (logScale ? ' (log scale)' : ''));
    var drawn = c.series.map(function (ser, i) {
      var st = styleOf(i);
      var pts = ser.points.map(function (p) { return [p[0], p[2], p[1]]; });
      el('path', { d: pathOf(pts, s.sx, s.sy), 'class': 'series', stroke: st.color, 'stroke-dasharray': st.dash, 'data-series': ser.name }, svg);
      return { name: ser.name, color: st.color, points: pts };
    });
    hover(fig, svg, s, drawn, xd, function (p) { return fmtUs(p[1]) + ' at ' + pctPoint(p[2]); }, function (x) { return 'near ' + pctPoint(100 * (1 - Math.pow(10, -x))); });
  }
  function drawTimeline(fig, svg, c) {
    clear(svg);
    var maxT = 0, maxV = 0;
    c.points.forEach(function (p) { maxT = Math.max(maxT, p[0]); maxV = Math.max(maxV, p[1], p[2]); });
    var step = maxT <= 12 ? 1 : maxT <= 30 ? 5 : maxT <= 120 ? 10 : maxT <= 600 ? 60 : 300;
    var xd = { lo: 0, hi: maxT, ticks: [] };
    for (var t = 0; t <= maxT; t += step) xd.ticks.push(t);
    var yd = linearTicks(maxV);
    var s = frame(svg, xd, yd, function (v) { return v + 's'; }, function (v) { return v >= 1e4 ? trim(v / 1000, 1) + 'k' : fmtCount(v); }, 'seconds since the load started', 'messages / s');
    var bands = el('g', { 'aria-hidden': 'true' }, null);
    svg.insertBefore(bands, svg.querySelector('g'));
    c.bands.forEach(function (b) {
      var x0 = s.sx(b[0]), x1 = s.sx(b[1]);
      el('rect', { x: x0, y: M.t, width: Math.max(1, x1 - x0), height: H - M.b - M.t, fill: BAND[b[2]] }, bands);
      if (x1 - x0 > 34) el('text', { x: (x0 + x1) / 2, y: M.t + 13, 'text-anchor': 'middle', 'class': 'band-label' }, bands, BAND_NAME[b[2]]);
    });
    var drawn = [['sent', 1], ['received', 2]].map(function (k, i) {
      var st = styleOf(i);
      var pts = c.points.map(function (p) { return [p[0], p[k[1]]]; });
      el('path', { d: pathOf(pts, s.sx, s.sy), 'class': 'series', stroke: st.color, 'stroke-dasharray': i === 1 ? '7 4' : '', 'data-series': k[0] }, svg);
      return { name: k[0], color: st.color, points: pts };
    });
    hover(fig, svg, s, drawn, xd, function (p) { return fmtCount(p[1]) + '/s'; }, function (x) { var p = nearest(c.points, x); return p ? 'second ' + (p[0] - 1) + '\u2013' + p[0] : ''; });
  }

  data.charts.forEach(function (c) {
    var fig = document.getElementById('fig-' + c.id);
    if (!fig) return;
    var svg = fig.querySelector('svg');
    try {
      if (c.kind === 'percentile') {
        var vals = [];
        c.series.forEach(function (s) { s.points.forEach(function (p) { vals.push(p[2]); }); });
        var logScale = Math.max.apply(null, vals) / Math.max(1, Math.min.apply(null, vals)) > 30;
        var btn = fig.querySelector('button.scale');
        var sync = function () {
          btn.textContent = logScale ? 'linear scale' : 'log scale';
          btn.setAttribute('aria-label', 'Show the latency axis on a ' + (logScale ? 'linear' : 'log') + ' scale');
          drawPercentile(fig, svg, c, logScale);
        };
        btn.hidden = false;
        btn.onclick = function () { logScale = !logScale; sync(); };
        sync();
      } else {
        drawTimeline(fig, svg, c);
      }
    } catch (err) {
      var p = document.createElement('p'); p.className = 'chart-error';
      p.textContent = 'This chart could not be drawn: ' + err;
      fig.appendChild(p);
      console.error('mqbench report: chart ' + c.id + ':', err);
    }
  });
})();
`;
