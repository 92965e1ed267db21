// Loaded in <head> without defer, so that styles keyed on .js apply before the first paint.
document.documentElement.classList.add("js");

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

// On phones the main navigation folds behind a Menu button; Escape closes it and returns focus.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.querySelector(".nav-toggle");
  var links = document.getElementById("nav-links");
  if (!toggle || !links) return;
  toggle.hidden = false;
  function setOpen(open) {
    links.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  links.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && links.classList.contains("is-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
});

// Read-only addresses (the calendar feed) are selected whole when focused, ready to copy.
document.addEventListener("focusin", function (event) {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
