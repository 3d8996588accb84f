/* Measurements for tests/a11y.py, run in the page (page.evaluate of one function each). */

/* TEXT */
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const backgrounds = (el) => {
    // the layers behind el, nearest first, until an opaque one
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      const grads = (s.backgroundImage.match(/rgba?\([^)]+\)/g) || []).map(parse);
      if (grads.length) { layers.push({grads}); break; }
      const bg = parse(s.backgroundColor);
      if (bg && bg[3] > 0) { layers.push({color: bg}); if (bg[3] >= 1) break; }
    }
    return layers;
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return false;
      if (s.clip && s.clip !== "auto" && s.position === "absolute") return false;
      if (e.getAttribute("aria-hidden") === "true") return false;
    }
    return r.bottom + window.scrollY > 0;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length || !visible(el)) continue;
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    const bold = Number(s.fontWeight) >= 700;
    const fg = parse(s.color);
    const layers = backgrounds(el);
    let worst = Infinity;
    const white = [255, 255, 255, 1];
    const last = layers[layers.length - 1];
    let bases = [white];
    let start = layers.length - 1;
    if (last && last.grads) { bases = last.grads.map((g) => over(g, white)); start = layers.length - 2; }
    else if (last && last.color[3] >= 1) { bases = [last.color]; start = layers.length - 2; }
    for (let base of bases) {
      for (let i = start; i >= 0; i--) if (layers[i].color) base = over(layers[i].color, base);
      worst = Math.min(worst, ratio(over(fg, base), base));
    }
    const large = size >= 24 || (bold && size >= 18.66);
    out.push({
      text: own.map((n) => n.textContent.trim()).join(" ").slice(0, 40),
      tag: el.tagName.toLowerCase(), cls: el.className && String(el.className),
      size, ratio: Math.round(worst * 100) / 100, need: large ? 3 : 4.5,
    });
  }
  return out;
}

/* TARGETS */
() => {
  const sel = "a[href], button, input:not([type=hidden]), select, textarea, [role=button], .chip span";
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;            // visually hidden (its label counts)
    if (r.bottom + window.scrollY <= 0) continue;            // the skip link, parked above the page
    let hidden = false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden") { hidden = true; break; }
      if (Number(s.opacity) === 0 && e !== el) { hidden = true; break; }
    }
    if (hidden) continue;
    if (Number(getComputedStyle(el).opacity) === 0) {
      // a transparent file input laid over its button: the button is the target
      continue;
    }
    out.push({
      what: (el.getAttribute("aria-label") || el.textContent || el.name || el.id || el.tagName).trim().slice(0, 30),
      tag: el.tagName.toLowerCase(), width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10,
    });
  }
  return out;
}
