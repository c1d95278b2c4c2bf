/* The library desk's check-in: where the browser has BarcodeDetector (Chrome on Android), a
   button opens the back camera, reads the booking's QR code, puts what it read into the code
   field and sends the same form staff type into. Without it (or without this file) the button
   stays hidden and typing the code always works. */
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  if (!form || !button || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  var input = form.querySelector("input[name=code]");
  var stream = null;
  var timer = null;
  var detector = null;

  function say(key) {
    status.textContent = status.getAttribute(key) || "";
  }

  function stop() {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    button.textContent = button.getAttribute("data-start-label");
  }

  function look() {
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        input.value = codes[0].rawValue;
        stop();
        form.submit();
        return;
      }
      timer = window.setTimeout(look, 250);
    }).catch(function () {
      timer = window.setTimeout(look, 500);
    });
  }

  function start() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.setAttribute("width", String(Math.max(form.clientWidth - 32, 200)));  // no inline styles (CSP)
      video.hidden = false;
      button.textContent = button.getAttribute("data-stop-label");
      say("data-scanning");
      return video.play();
    }).then(look).catch(function () {
      stop();
      say("data-no-camera");
      input.focus();
    });
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) {
      return;
    }
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    button.hidden = false;
    button.addEventListener("click", function () {
      if (stream) {
        stop();
      } else {
        start();
      }
    });
  }).catch(function () { /* no detector: typing still works */ });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) {
      stop();
    }
  });
}());
