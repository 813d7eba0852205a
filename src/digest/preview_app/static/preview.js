// digest preview page: live counters, copy buttons, dark-mode toggle, frame heights.
// Plain JavaScript, no framework, no build step. The counting rules mirror
// digest.render.lengths on the server; tests/test_preview_app_counting.py checks that
// both give the same numbers on a set of tricky strings, in a real Chromium.
"use strict";

(function () {
  // ------------------------------------------------------------------ counting
  const URL_LENGTH = 23; // X and Mastodon count every http(s) URL as 23
  // http(s) URLs, ending before whitespace; trailing punctuation is not part of a URL.
  const URL_RE = /https?:\/\/[^\s<>"'\u00a0\u2000-\u200b\u2028\u2029\u3000]+/giu;
  const URL_TRAIL = /[.,:;!?)\]}'"\u2026\u00bb\u201d\u2019]+$/u;
  // One emoji: a flag, a keycap, or a pictograph with modifiers/VS16, joined by ZWJ, with tags.
  const EMOJI_RE = new RegExp(
    "\\p{Regional_Indicator}{2}" +
      "|[#*0-9]\\uFE0F?\\u20E3" +
      "|\\p{Extended_Pictographic}(?:\\uFE0F|\\p{Emoji_Modifier})?" +
      "(?:\\u200D\\p{Extended_Pictographic}(?:\\uFE0F|\\p{Emoji_Modifier})?)*" +
      "[\\u{E0020}-\\u{E007E}]*\\u{E007F}?" +
      "|\\p{Emoji_Presentation}",
    "gu",
  );
  // twitter-text v3: weight 1 (100/100) for these code point ranges, 2 for everything else.
  const X_LIGHT = [
    [0, 4351],
    [8192, 8205],
    [8208, 8223],
    [8242, 8247],
  ];
  const segmenter =
    typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function urlSpans(text) {
    const spans = [];
    URL_RE.lastIndex = 0;
    let m;
    while ((m = URL_RE.exec(text)) !== null) {
      const url = m[0].replace(URL_TRAIL, "");
      if (url.length > m[0].indexOf("//") + 2) spans.push([m.index, m.index + url.length]);
    }
    return spans;
  }

  function graphemes(text) {
    if (!segmenter) return Array.from(text).length;
    let n = 0;
    for (const _ of segmenter.segment(text)) n++; // eslint-disable-line no-unused-vars
    return n;
  }

  function codePoints(text) {
    return Array.from(text).length;
  }

  // Apply fn to the text between URLs; each URL counts URL_LENGTH.
  function withUrls(text, fn) {
    let total = 0;
    let at = 0;
    for (const [start, end] of urlSpans(text)) {
      total += fn(text.slice(at, start)) + URL_LENGTH;
      at = end;
    }
    return total + fn(text.slice(at));
  }

  function xWeight(chunk) {
    let total = 0;
    let at = 0;
    EMOJI_RE.lastIndex = 0;
    let m;
    const plain = (s) => {
      let w = 0;
      for (const ch of s) {
        const cp = ch.codePointAt(0);
        w += X_LIGHT.some(([lo, hi]) => cp >= lo && cp <= hi) ? 1 : 2;
      }
      return w;
    };
    while ((m = EMOJI_RE.exec(chunk)) !== null) {
      total += plain(chunk.slice(at, m.index)) + 2;
      at = m.index + m[0].length;
    }
    return total + plain(chunk.slice(at));
  }

  const RULES = {
    x: (t) => withUrls(t.normalize("NFC"), xWeight),
    bluesky: (t) => graphemes(t),
    mastodon: (t) => withUrls(t, graphemes),
    linkedin: (t) => codePoints(t),
    threads: (t) => codePoints(t),
  };

  function count(platform, text) {
    const rule = RULES[platform];
    if (!rule) throw new Error("unknown platform: " + platform);
    return rule(text);
  }

  function utf8Bytes(text) {
    return new TextEncoder().encode(text).length;
  }

  // Problems beyond the length: the same extra rules the server checks.
  function problems(platform, text, length, limit) {
    const out = [];
    if (!text.trim()) out.push("empty");
    if (length > limit) out.push("over by " + (length - limit));
    if (platform === "bluesky" && utf8Bytes(text) > 3000) out.push("over 3000 bytes");
    if (platform === "threads" && urlSpans(text).length > 5) out.push("more than 5 links");
    return out;
  }

  window.digestCount = { count, graphemes, urlSpans, problems, utf8Bytes };

  // ------------------------------------------------------------------ cards
  function updateCard(card) {
    const area = card.querySelector("textarea");
    const out = card.querySelector("[data-counter]");
    const note = card.querySelector("[data-problems]");
    const limit = Number(card.dataset.limit);
    const length = count(card.dataset.platform, area.value);
    const bad = problems(card.dataset.platform, area.value, length, limit);
    out.querySelector("[data-length]").textContent = String(length);
    card.classList.toggle("over", bad.length > 0);
    if (note) note.textContent = bad.join(", ");
  }

  async function copyCard(card, button) {
    const area = card.querySelector("textarea");
    try {
      await navigator.clipboard.writeText(area.value);
    } catch (err) {
      area.select(); // clipboard API refused (no permission, not a secure context)
      document.execCommand("copy");
    }
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = label), 1200);
  }

  // ------------------------------------------------------------------ frames
  function fitFrame(frame) {
    try {
      const doc = frame.contentDocument;
      if (doc && doc.documentElement) frame.style.height = doc.documentElement.scrollHeight + 4 + "px";
    } catch (err) {
      /* a frame we cannot read keeps its CSS height */
    }
  }

  function setDark(on) {
    document.querySelectorAll("iframe[data-email-frame]").forEach((frame) => {
      const url = new URL(frame.getAttribute("src"), location.href);
      if (on) url.searchParams.set("dark", "1");
      else url.searchParams.delete("dark");
      frame.setAttribute("src", url.pathname + url.search);
    });
    document.body.classList.toggle("dark-frames", on);
    const toggle = document.querySelector("[data-dark-toggle]");
    if (toggle) {
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = on ? "Show light mode" : "Show dark mode";
    }
    const url = new URL(location.href);
    if (on) url.searchParams.set("dark", "1");
    else url.searchParams.delete("dark");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-post]").forEach((card) => {
      updateCard(card);
      card.querySelector("textarea").addEventListener("input", () => updateCard(card));
      const button = card.querySelector("[data-copy]");
      button.hidden = false;
      button.addEventListener("click", () => copyCard(card, button));
    });
    document.querySelectorAll("iframe[data-email-frame]").forEach((frame) => {
      frame.addEventListener("load", () => fitFrame(frame));
      fitFrame(frame);
    });
    const toggle = document.querySelector("[data-dark-toggle]");
    if (toggle) {
      toggle.addEventListener("click", (event) => {
        event.preventDefault();
        setDark(toggle.getAttribute("aria-pressed") !== "true");
      });
    }
  });
})();
