// 门岗核验: read a rider's 惠新码 with the phone's camera (getUserMedia, the back camera;
// frames decoded by the vendored jsQR) or from the text box a hand-held scanner types into.
// A decoded code is posted by the page's htmx form, so the CSRF header comes with it.
(() => {
  const HOLD_MS = 3000; // after a scan, leave the verdict up before reading again
  const SEEN_MS = 130000; // a code lives 120 s: never post the same one twice from the camera
  const seen = new Map();
  let stream = null;
  let pausedUntil = 0;

  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("gate-camera-status").textContent = text; };

  function submit(text) {
    const now = Date.now();
    for (const [code, at] of seen) if (now - at > SEEN_MS) seen.delete(code);
    seen.set(text, now);
    pausedUntil = now + HOLD_MS;
    $("gate-code").value = text;
    $("gate-form").requestSubmit();
  }

  function frame() {
    if (!stream) return;
    const video = $("gate-video");
    if (video.readyState >= 2 && Date.now() > pausedUntil && window.jsQR) {
      const canvas = $("gate-canvas");
      const width = video.videoWidth;
      const height = video.videoHeight;
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      const found = jsQR(context.getImageData(0, 0, width, height).data, width, height,
        { inversionAttempts: "dontInvert" });
      if (found && found.data && !seen.has(found.data)) submit(found.data);
    }
    requestAnimationFrame(frame);
  }

  function failed(error) {
    const name = (error && error.name) || "";
    if (name === "NotAllowedError" || name === "SecurityError") {
      say("未获得摄像头权限：请在浏览器设置中允许使用摄像头，或用下方文本框输入惠新码。");
    } else if (name === "NotFoundError" || name === "OverconstrainedError") {
      say("没有找到可用的摄像头，请用下方文本框输入惠新码。");
    } else {
      say(`无法打开摄像头（${name || "未知原因"}），请用下方文本框输入惠新码。`);
    }
    $("gate-code").focus();
  }

  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      failed({ name: "NotFoundError" });
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        { video: { facingMode: "environment" }, audio: false });
      const video = $("gate-video");
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
    } catch (error) {
      stop();
      failed(error);
      return;
    }
    $("gate-camera").hidden = true;
    $("gate-camera-stop").hidden = false;
    say("正在扫码：请将惠新码对准画面。");
    requestAnimationFrame(frame);
  }

  function stop() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    const video = $("gate-video");
    video.srcObject = null;
    video.hidden = true;
    $("gate-camera").hidden = false;
    $("gate-camera-stop").hidden = true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!$("gate-form")) return;
    $("gate-camera").addEventListener("click", start);
    $("gate-camera-stop").addEventListener("click", () => { stop(); say("摄像头已关闭。"); });
    // A hand-held scanner types the code and presses Enter.
    $("gate-code").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        $("gate-form").requestSubmit();
      }
    });
  });
  // Refusals from the API (403, 422) carry their message: show them like a verdict.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target.id === "verdict" && event.detail.xhr.status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt.id !== "gate-form") return;
    $("gate-code").value = "";
    if (!stream) $("gate-code").focus();
  });
})();
