/* The member card's QR code is live: while the card page is open, fetch a freshly signed card
   every data-refresh-seconds, and at once when the phone shows the page again. Without this
   file the page's own load is the refresh. */
(function () {
  "use strict";
  var card = document.getElementById("member-card");
  if (!card) {
    return;
  }
  var issued = document.getElementById("card-issued");
  var seconds = parseInt(card.getAttribute("data-refresh-seconds"), 10) || 60;
  var clock = new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN", {
    hour: "numeric",
    minute: "2-digit",
    timeZone: "Asia/Shanghai"
  });

  function refresh() {
    var fresh = new Image();
    fresh.onload = function () {
      card.src = fresh.src;
      if (issued) {
        var now = new Date();
        issued.setAttribute("datetime", now.toISOString());
        issued.textContent = clock.format(now);
      }
    };
    fresh.src = card.getAttribute("data-src") + "?t=" + Date.now();
  }

  window.setInterval(function () {
    if (!document.hidden) {
      refresh();
    }
  }, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
})();
