// digest preview page: live counters, copy buttons, dark-mode toggle, frame heights.
// Plain JavaScript, no framework, no build step. Counting is in counting.js (the server's
// rules, ported); until its data has loaded the counters show the server's numbers.
"use strict";

(function () {
  // ------------------------------------------------------------------ cards
  function updateCard(card) {
    const area = card.querySelector("textarea");
    const report = window.digestCount.check(card.dataset.platform, area.value, Number(card.dataset.limit));
    card.querySelector("[data-length]").textContent = String(report.length);
    card.classList.toggle("over", !report.valid);
    card.querySelector("[data-problems]").textContent = report.problems.join(", ");
    card.dataset.counted = "live";
  }

  // What to paste: the text, with links the card shows shortened given in full (Bluesky's
  // composer shortens them itself and links the full URL).
  function pasteText(card) {
    let text = card.querySelector("textarea").value;
    for (const [shown, url] of JSON.parse(card.dataset.links || "[]")) text = text.split(shown).join(url);
    return text;
  }

  async function copyCard(card, button) {
    const area = card.querySelector("textarea");
    try {
      await navigator.clipboard.writeText(pasteText(card));
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
    const cards = document.querySelectorAll("[data-post]");
    cards.forEach((card) => {
      const button = card.querySelector("[data-copy]");
      button.hidden = false;
      button.addEventListener("click", () => copyCard(card, button));
    });
    window.digestCount.ready.then(
      () => {
        cards.forEach((card) => {
          updateCard(card);
          card.querySelector("textarea").addEventListener("input", () => updateCard(card));
        });
        document.body.dataset.counters = "live";
      },
      (err) => {
        document.body.dataset.counters = "server-only";
        console.error(err);
      },
    );
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
