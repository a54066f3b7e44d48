// 随手拍: fill the report's location from the browser when the person asks for it.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("locate");
  const status = document.getElementById("locate-status");
  if (!button) return;
  button.addEventListener("click", () => {
    if (!navigator.geolocation) { status.textContent = "此浏览器不能定位，请选择街道"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition((pos) => {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lng").value = pos.coords.longitude.toFixed(6);
      status.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
    }, () => { status.textContent = "未能定位，请选择街道"; }, {timeout: 10000});
  });
});
