// Small behaviours the pages share; nothing here is needed to submit a form.
document.addEventListener("DOMContentLoaded", () => {
  // Pages that follow a live state reload a fragment every N seconds (data-refresh).
  for (const el of document.querySelectorAll("[data-refresh]")) {
    const seconds = Number(el.dataset.refresh) || 60;
    setInterval(() => { if (window.htmx) htmx.trigger(el, "refresh"); }, seconds * 1000);
  }
});
