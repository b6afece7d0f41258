// The desk's only script (the Content-Security-Policy allows no inline code):
// live updates over server-sent events, the Markdown preview beside a text area,
// filters that apply as they are chosen.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.body;

  function debounce(fn, ms) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), ms);
    };
  }

  // Fetch this page again and swap its live region: no reload, no lost scroll position.
  async function refresh() {
    const response = await fetch(location.href, { headers: { "X-Requested-With": "fetch" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("live-region");
    const region = document.getElementById("live-region");
    if (fresh && region) {
      region.replaceWith(fresh);
      document.title = page.title;
      wireFilters();
      body.dataset.refreshed = String(Number(body.dataset.refreshed || "0") + 1);
    }
  }

  function setStatus(text) {
    const status = document.getElementById("build-status");
    if (status) status.textContent = text;
  }

  function listen() {
    const mode = body.dataset.live;
    if (!mode || !window.EventSource) return;
    const record = body.dataset.record || "";
    const source = new EventSource("/ereignisse" + (record ? "?akte=" + encodeURIComponent(record) : ""));
    const later = debounce(refresh, 300);
    source.addEventListener("open", () => { body.dataset.listening = "1"; });
    source.addEventListener("changed", (event) => {
      const data = JSON.parse(event.data);
      if (mode === "overview") later();
      else if (data.paths.includes(record) || data.paths.some((p) => !p.startsWith("records/") || !/\.(ya?ml|md)$/i.test(p))) {
        setStatus("Geändert: die Vorlage wird neu erstellt …");
      }
    });
    source.addEventListener("built", (event) => {
      const data = JSON.parse(event.data);
      if (mode === "overview" || data.record === record) later();
    });
  }

  function wireFilters() {
    document.querySelectorAll("form.filters select").forEach((select) => {
      select.addEventListener("change", () => select.form.submit());
    });
  }

  function wireMarkdown() {
    document.querySelectorAll("textarea[data-markdown-preview]").forEach((area) => {
      const target = document.getElementById(area.dataset.markdownPreview);
      const render = async () => {
        const response = await fetch("/markdown", {
          method: "POST",
          headers: { "Content-Type": "text/plain;charset=UTF-8", "X-CSRF-Token": csrf },
          body: area.value,
        });
        if (response.ok) target.innerHTML = await response.text();
      };
      area.addEventListener("input", debounce(render, 300));
      render();
    });
  }

  listen();
  wireFilters();
  wireMarkdown();
})();
