// 惠新码 for riders: the live code's countdown, a new code just before it expires (htmx also
// polls every 90 s; this covers a phone that slept), and copying the code's text.
(() => {
  let card = null;
  let total = 0;
  let started = 0;

  function arm() {
    card = document.getElementById("code-card");
    if (!card || !card.dataset.seconds) { card = null; return; }
    total = Number(card.dataset.seconds);
    started = Date.now();
    const copy = card.querySelector(".js-copy");
    if (copy && navigator.clipboard) copy.hidden = false;
  }

  function tick() {
    if (!card || !document.body.contains(card)) arm();
    if (!card) return;
    const left = Math.max(0, total - Math.floor((Date.now() - started) / 1000));
    const out = card.querySelector(".js-left");
    if (out) out.textContent = String(left);
    if (left <= 5 && window.htmx && !card.dataset.asked) {
      card.dataset.asked = "1";
      htmx.trigger(card, "refresh");
    }
  }

  document.addEventListener("DOMContentLoaded", () => { arm(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSettle", arm);
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".js-copy");
    const text = document.getElementById("code-text");
    if (!button || !text) return;
    navigator.clipboard.writeText(text.value).then(() => { button.textContent = "已复制"; });
  });
})();
