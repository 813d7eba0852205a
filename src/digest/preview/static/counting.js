// Each platform's own counting, in the browser: a line-for-line port of
// digest/render/platforms.py and digest/render/twitter_text.py, so an editor's live counter
// shows exactly what `digest length` and `digest social` count. The data tables the rules need
// (top-level domains from the Public Suffix List, X's recommended emoji ZWJ sequences) come
// from the server (/counting.json), from the same Python sources, so they cannot drift.
// tests/preview/test_counting.py runs this in Chromium against the Python numbers.
"use strict";

(function () {
  const SCALE = 100;
  const DEFAULT_WEIGHT = 200;
  const MAX_WEIGHTED_LENGTH = 280;
  const URL_LENGTH = 23;
  const MAX_URL_LENGTH = 4096;
  const RANGES = [
    [0, 4351],
    [8192, 8205],
    [8208, 8223],
    [8242, 8247],
  ];
  const INVALID = /[\uFFFE\uFEFF\uFFFF]/u;

  // ---------------------------------------------------------------- emoji (UTS #51 grammar)
  const ELEMENT =
    "(?:(?![0-9#*])\\p{Emoji}(?:\\p{Emoji_Modifier}|\\uFE0F|[\\u{E0020}-\\u{E007E}]+\\u{E007F})?)";
  const EMOJI = new RegExp(
    "\\p{Regional_Indicator}{2}|[0-9#*]\\uFE0F?\\u20E3|" + ELEMENT + "(?:\\u200D" + ELEMENT + ")*",
    "gu",
  );

  // ---------------------------------------------------------------- URLs (twitter-text's extractor)
  const PUNCT = "!'#%&'()*+,\\\\\\-./:;<=>?@\\[\\]^_{|}~$";
  const SPACES = "\\x09-\\x0D\\x20\\x85\\xA0\\u1680\\u180E\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
  const INVALID_GROUP = "\\uFFFE\\uFEFF\\uFFFF";
  const DIRECTIONAL = "\\u202A-\\u202E\\u061C\\u200E\\u200F\\u2066\\u2067\\u2068\\u2069";
  const LATIN_ACCENTS =
    "\\xC0-\\xD6\\xD8-\\xF6\\xF8-\\xFF\\u0100-\\u024F\\u0253\\u0254\\u0256\\u0257\\u0259\\u025B\\u0263\\u0268" +
    "\\u026F\\u0272\\u0289\\u028B\\u02BB\\u0300-\\u036F\\u1E00-\\u1EFF";
  const CYRILLIC = "\\u0400-\\u04FF";
  const DOMAIN_CHAR = `[^${PUNCT}${SPACES}${INVALID_GROUP}${DIRECTIONAL}]`;
  const SUBDOMAIN = `(?:(?:${DOMAIN_CHAR}(?:[_\\-]|${DOMAIN_CHAR})*)?${DOMAIN_CHAR}\\.)`;
  const DOMAIN_NAME = `(?:(?:${DOMAIN_CHAR}(?:-|${DOMAIN_CHAR})*)?${DOMAIN_CHAR}\\.)`;
  const PUNYCODE = "(?:xn--[\\-0-9a-z]+)";
  const PATH_CHAR = `[a-z${CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&${LATIN_ACCENTS}]`;
  const PARENS = `\\((?:${PATH_CHAR}+|(?:${PATH_CHAR}*\\(${PATH_CHAR}+\\)${PATH_CHAR}*))\\)`;
  const PATH_END = `(?:[+\\-a-z${CYRILLIC}0-9=_#/${LATIN_ACCENTS}]|(?:${PARENS}))`;
  const PATH = `(?:(?:${PATH_CHAR}*(?:${PARENS}${PATH_CHAR}*)*${PATH_END})|(?:@${PATH_CHAR}+/))`;
  const QUERY_CHARS = "[a-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]";
  const QUERY_END = "[a-z0-9\\-_&=#/]";
  const PRECEDING = `(?:[^A-Za-z0-9@＠$#＃${INVALID_GROUP}]|[${DIRECTIONAL}]|^)`;
  const SPECIAL_CCTLDS = ["co", "tv"];
  // Python's \w in the `regex` module (Unicode TR18), for Mastodon's remote mentions
  const W = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]";
  const WC = W.slice(1, -1);
  const MASTODON_MENTION = new RegExp(`(?<![${WC}/@])(@[${WC}.]+)@[${WC}.\\-]+\\.${W}+`, "gu");

  let patterns = null;
  let rgiZwj = new Set();

  // Python's re.IGNORECASE also treats U+0131 ı and U+0130 İ as the letter i; JavaScript's
  // case folding does not, so the patterns name them wherever they say a-z or i.
  const DOTLESS_I = "[i\\u0131\\u0130]";
  const withDotlessI = (source) => source.replaceAll("a-z", "a-z\\u0131\\u0130");

  function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }

  // One alternation factored as a trie, as twitter_text._trie_pattern builds it.
  function triePattern(words) {
    const root = new Map();
    for (const word of words) {
      let node = root;
      for (const ch of word) {
        if (!node.has(ch)) node.set(ch, new Map());
        node = node.get(ch);
      }
      node.set("", new Map());
    }
    const emit = (node) => {
      const keys = [...node.keys()].filter((k) => k !== "").sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const optional = node.has("");
      if (!keys.length) return "";
      const alts = keys.map((ch) => (ch === "i" ? DOTLESS_I : escapeRe(ch)) + emit(node.get(ch)));
      const body = alts.length === 1 && !optional ? alts[0] : "(?:" + alts.join("|") + ")";
      return body + (optional ? "?" : "");
    };
    return emit(root);
  }

  function compile(tlds) {
    const tld = `(?:${triePattern(tlds)})(?=[^0-9a-z@+\\-]|$)`;
    const cctld = `(?:${triePattern(tlds.filter((t) => Array.from(t).length === 2 || !isAscii(t)))})(?=[^0-9a-z@+\\-]|$)`;
    const domain = `(?:${SUBDOMAIN}*${DOMAIN_NAME}(?:${tld}|${PUNYCODE}))`;
    const extract =
      `(${PRECEDING})((https?://)?(${domain})(?::([0-9]+))?(/${PATH}*)?(\\?${QUERY_CHARS}*${QUERY_END})?)`;
    const re = (source, flags) => new RegExp(withDotlessI(source), flags);
    return {
      extract: re(extract, "giud"),
      asciiDomain: re(`(?:(?:[\\-a-z0-9${LATIN_ACCENTS}]+)\\.)+(?:${tld}|${PUNYCODE})`, "giu"),
      shortDomain: re(`^${DOMAIN_NAME}${cctld}$`, "iu"),
      specialShort: re(`^${DOMAIN_NAME}(?:${SPECIAL_CCTLDS.join("|")})(?=[^0-9a-z@+\\-]|$)$`, "iu"),
      tco: re(`^https?://t\\.co/([a-z0-9]+)(?:\\?${QUERY_CHARS}*${QUERY_END})?`, "iu"),
    };
  }

  const cpLen = (s) => Array.from(s).length;

  // ---------------------------------------------------------------- IDNA 2003, as Python's "idna" codec
  let nameprepTables = { b1: [], b2: {}, prohibited: [], d1: [], d2: [] };
  const isAscii = (s) => /^[\x00-\x7f]*$/.test(s);

  function inRanges(ranges, cp) {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < ranges[mid][0]) hi = mid - 1;
      else if (cp > ranges[mid][1]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  function nameprep(label) {
    const t = nameprepTables;
    let mapped = "";
    for (const ch of label) {
      if (inRanges(t.b1, ch.codePointAt(0))) continue;
      mapped += t.b2[ch] ?? ch;
    }
    const cps = Array.from(mapped.normalize("NFKC"), (c) => c.codePointAt(0));
    if (cps.some((cp) => inRanges(t.prohibited, cp))) return null;
    const randal = cps.map((cp) => inRanges(t.d1, cp));
    if (randal.some(Boolean)) {
      if (cps.some((cp) => inRanges(t.d2, cp))) return null;
      if (!randal[0] || !randal[randal.length - 1]) return null;
    }
    return String.fromCodePoint(...cps);
  }

  // RFC 3492 Punycode of a string of code points.
  function punycode(text) {
    const input = Array.from(text, (c) => c.codePointAt(0));
    const [base, tMin, tMax, skew, damp] = [36, 1, 26, 38, 700];
    let [n, delta, bias] = [128, 0, 72];
    const out = input.filter((c) => c < 0x80).map((c) => String.fromCharCode(c));
    const basic = out.length;
    let h = basic;
    if (basic) out.push("-");
    const digit = (d) => String.fromCharCode(d + 22 + (d < 26 ? 75 : 0));
    const adapt = (d, points, first) => {
      d = first ? Math.floor(d / damp) : d >> 1;
      d += Math.floor(d / points);
      let k = 0;
      while (d > ((base - tMin) * tMax) >> 1) {
        d = Math.floor(d / (base - tMin));
        k += base;
      }
      return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
    };
    while (h < input.length) {
      const m = Math.min(...input.filter((c) => c >= n));
      delta += (m - n) * (h + 1);
      n = m;
      for (const c of input) {
        if (c < n) delta++;
        if (c === n) {
          let q = delta;
          for (let k = base; ; k += base) {
            const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
            if (q < t) break;
            out.push(digit(t + ((q - t) % (base - t))));
            q = Math.floor((q - t) / (base - t));
          }
          out.push(digit(q));
          bias = adapt(delta, h + 1, h === basic);
          delta = 0;
          h++;
        }
      }
      delta++;
      n++;
    }
    return out.join("");
  }

  function toAscii(label) {
    const fits = (s) => (s.length > 0 && s.length < 64 ? s : null);
    if (isAscii(label)) return fits(label);
    const prepped = nameprep(label);
    if (prepped === null) return null;
    if (isAscii(prepped)) return fits(prepped);
    if (prepped.startsWith("xn--")) return null;
    return fits("xn--" + punycode(prepped));
  }

  // Python's domain.encode("idna"), or null where it raises UnicodeError.
  function idnaAscii(domain) {
    if (isAscii(domain)) {
      const labels = domain.split(".");
      if (labels.slice(0, -1).some((l) => !(l.length > 0 && l.length < 64))) return null;
      return labels[labels.length - 1].length >= 64 ? null : domain;
    }
    const labels = domain.split(/[.\u3002\uFF0E\uFF61]/u);
    let trailing = "";
    if (labels.length && !labels[labels.length - 1]) {
      trailing = ".";
      labels.pop();
    }
    const out = [];
    for (const label of labels) {
      const ascii = toAscii(label);
      if (ascii === null) return null;
      out.push(ascii);
    }
    return out.join(".") + trailing;
  }

  function punycodeOk(url, protocol, domain) {
    const ascii = idnaAscii(domain);
    if (!ascii) return false;
    return cpLen(protocol) + cpLen(url) + ascii.length - cpLen(domain) <= MAX_URL_LENGTH;
  }

  // Offsets here are UTF-16 indices (JavaScript's); only lengths are compared with Python.
  // As in Python, only the tokens between spaces and line breaks that hold a "." (or ":") are
  // scanned: no URL part admits a space.
  const TOKEN = /[^ \n]+/g;

  function extractUrlSpans(text, withoutProtocol = true) {
    const needle = withoutProtocol ? "." : ":";
    if (!text || !text.includes(needle)) return [];
    const spans = [];
    TOKEN.lastIndex = 0;
    let t;
    while ((t = TOKEN.exec(text)) !== null) {
      if (t[0].includes(needle)) scan(t[0], t.index, withoutProtocol, spans);
    }
    return spans;
  }

  function scan(text, offset, withoutProtocol, spans) {
    const pats = patterns;
    const extract = pats.extract;
    extract.lastIndex = 0;
    let m;
    while ((m = extract.exec(text)) !== null) {
      const [before, url, protocol, domain, , path] = [m[1], m[2], m[3], m[4], m[5], m[6]];
      let [start, end] = m.indices[2];
      start += offset;
      end += offset;
      if (!punycodeOk(url, protocol || "https://", domain)) continue;
      if (!protocol) {
        if (!withoutProtocol || (before && "-_./".includes(before))) continue;
        let last = null;
        const ascii = pats.asciiDomain;
        ascii.lastIndex = 0;
        let d;
        while ((d = ascii.exec(domain)) !== null) {
          last = [start + d.index, start + d.index + d[0].length];
          if (path || pats.specialShort.test(d[0]) || !pats.shortDomain.test(d[0])) spans.push(last);
          else last = null;
          if (d[0].length === 0) ascii.lastIndex++;
        }
        if (last === null) continue;
        if (path) spans[spans.length - 1] = [spans[spans.length - 1][0], end];
      } else {
        const tco = url.match(pats.tco);
        if (tco) {
          if (tco[1] && tco[1].length > 40) continue;
          end = start + tco[0].length;
        }
        spans.push([start, end]);
      }
    }
  }

  // ---------------------------------------------------------------- X weighted length
  function heavy(cp) {
    for (const [lo, hi] of RANGES) if (cp >= lo && cp <= hi) return false;
    return true;
  }

  function gapWeight(gap) {
    let w = 0;
    for (const ch of gap) w += heavy(ch.codePointAt(0)) ? 200 : 100;
    return w;
  }

  function emojiWeight(seq) {
    if (!seq.includes("\u200D")) return DEFAULT_WEIGHT;
    const parts = seq.split("\u200D");
    let weight = 0;
    let i = 0;
    while (i < parts.length) {
      let j = parts.length;
      while (j > i + 1 && !rgiZwj.has(parts.slice(i, j).join("\u200D").replaceAll("\uFE0F", ""))) j--;
      weight += DEFAULT_WEIGHT + (j < parts.length ? 100 : 0);
      i = j;
    }
    return weight;
  }

  function segmentWeight(segment) {
    if (/^[\x00-\x7f]*$/.test(segment)) return segment.length * 100;
    let weight = 0;
    let pos = 0;
    EMOJI.lastIndex = 0;
    let m;
    while ((m = EMOJI.exec(segment)) !== null) {
      weight += gapWeight(segment.slice(pos, m.index)) + emojiWeight(m[0]);
      pos = m.index + m[0].length;
    }
    return weight + gapWeight(segment.slice(pos));
  }

  function parseTweet(text) {
    const normalized = text.normalize("NFC");
    let weight = 0;
    let pos = 0;
    for (const [start, end] of extractUrlSpans(normalized)) {
      weight += segmentWeight(normalized.slice(pos, start)) + URL_LENGTH * SCALE;
      pos = end;
    }
    weight += segmentWeight(normalized.slice(pos));
    const length = Math.floor(weight / SCALE);
    return { length, valid: length > 0 && length <= MAX_WEIGHTED_LENGTH && !INVALID.test(normalized) };
  }

  // ---------------------------------------------------------------- the other platforms
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

  function graphemes(text) {
    if (/^[\x00-\x7f]*$/.test(text)) return text.length - (text.split("\r\n").length - 1);
    let n = 0;
    for (const _ of segmenter.segment(text)) n++; // eslint-disable-line no-unused-vars
    return n;
  }

  function mastodonLength(text) {
    const spans = extractUrlSpans(text, false);
    if (spans.length) {
      const pieces = [];
      let pos = 0;
      for (const [start, end] of spans) {
        pieces.push(text.slice(pos, start), "x".repeat(URL_LENGTH));
        pos = end;
      }
      pieces.push(text.slice(pos));
      text = pieces.join("");
    }
    if (text.includes("@")) text = text.replace(MASTODON_MENTION, "$1");
    return graphemes(text);
  }

  const LENGTH = {
    x: (t) => parseTweet(t).length,
    bluesky: graphemes,
    mastodon: mastodonLength,
    linkedin: (t) => t.length, // UTF-16 code units, as the composer counts
    threads: (t) => t.length,
  };
  const MAX_LINKS = { threads: 5 };

  function count(platform, text) {
    const rule = LENGTH[platform];
    if (!rule) throw new Error("unknown platform: " + platform);
    return rule(text);
  }

  // The same problems, worded the same, as platforms.Platform.check.
  function check(platform, text, limit) {
    const length = count(platform, text);
    const problems = [];
    if (!text.trim()) problems.push("empty");
    if (length > limit) problems.push(`${length - limit} over the limit of ${limit}`);
    const maxLinks = MAX_LINKS[platform];
    if (maxLinks !== undefined) {
      const n = extractUrlSpans(text).length;
      if (n > maxLinks) problems.push(`${n} links, at most ${maxLinks} allowed`);
    }
    if (platform === "bluesky") {
      const size = new TextEncoder().encode(text).length;
      if (size > 3000) problems.push(`${size} UTF-8 bytes, at most 3000 allowed`);
    }
    if (platform === "x" && !problems.length && !parseTweet(text).valid) {
      problems.push("contains characters X refuses (U+FFFE, U+FEFF, U+FFFF)");
    }
    return { platform, length, limit, valid: problems.length === 0, problems };
  }

  function load(data) {
    patterns = compile(data.tlds);
    rgiZwj = new Set(data.rgi_zwj);
    nameprepTables = data.nameprep;
  }

  const ready = fetch("/counting.json")
    .then((r) => {
      if (!r.ok) throw new Error("counting data: HTTP " + r.status);
      return r.json();
    })
    .then(load);

  window.digestCount = { ready, load, count, check, graphemes, extractUrlSpans, parseTweet, idnaAscii };
})();
