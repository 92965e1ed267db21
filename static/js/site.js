// Tell the server the browser's time zone (used until a member sets one on their profile),
// and pre-fill time-zone fields that ask for it.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  var secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax" + secure;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-browser-time-zone]").forEach(function (input) {
      if (!input.value || input.value === "UTC") input.value = zone;
    });
  });
})();
