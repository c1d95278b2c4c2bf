/* The library desk's camera button. Where the browser can read codes from the camera
   (BarcodeDetector: Chrome and Edge on Android, Safari 17+ behind a flag …) each text input with
   data-scan="qr_code" (the member card) or data-scan="ean_13" (a book's ISBN barcode) gets a
   button beside it: the back camera opens, the first code read fills the input and sends its
   form. Without this file, or without BarcodeDetector, the inputs are typed as they are. */
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var inputs = document.querySelectorAll("input[data-scan]");
  if (!inputs.length) {
    return;
  }
  var supported = window.BarcodeDetector.getSupportedFormats
    ? window.BarcodeDetector.getSupportedFormats()
    : Promise.resolve(["qr_code", "ean_13"]);

  function styled(element, styles) {
    Object.keys(styles).forEach(function (name) {
      element.style[name] = styles[name]; // CSSOM: allowed by the CSP, unlike style attributes
    });
    return element;
  }

  function scan(input, format, button) {
    var detector = new window.BarcodeDetector({ formats: [format] });
    var overlay = styled(document.createElement("div"), {
      position: "fixed",
      top: "0",
      right: "0",
      bottom: "0",
      left: "0",
      zIndex: "1000",
      background: "rgba(0, 0, 0, .88)",
      display: "flex",
      flexDirection: "column",
      alignItems: "center",
      justifyContent: "center",
      gap: "1rem",
      padding: "1rem"
    });
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", button.textContent);
    var video = styled(document.createElement("video"), { width: "100%", maxWidth: "32rem", borderRadius: "8px" });
    video.setAttribute("playsinline", "");
    video.muted = true;
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "button light";
    stop.textContent = input.getAttribute("data-scan-cancel") || "Cancel";
    overlay.appendChild(video);
    overlay.appendChild(stop);
    document.body.appendChild(overlay);
    stop.focus();

    var stream = null;
    var timer = null;
    var done = false;

    function finish(value) {
      if (done) {
        return;
      }
      done = true;
      window.clearTimeout(timer);
      if (stream) {
        stream.getTracks().forEach(function (track) {
          track.stop();
        });
      }
      overlay.remove();
      document.removeEventListener("keydown", onKey);
      if (!value) {
        input.focus();
        return;
      }
      input.value = value;
      var form = input.form;
      if (form && input.getAttribute("data-scan-submit") !== "no" && form.requestSubmit) {
        form.requestSubmit();
      } else {
        input.focus();
      }
    }

    function onKey(event) {
      if (event.key === "Escape") {
        finish(null);
      }
    }

    function look() {
      if (done) {
        return;
      }
      detector
        .detect(video)
        .then(function (codes) {
          var found = null;
          for (var i = 0; i < codes.length; i += 1) {
            if (codes[i].rawValue) {
              found = codes[i].rawValue;
              break;
            }
          }
          if (found) {
            finish(found);
          } else {
            timer = window.setTimeout(look, 200);
          }
        })
        .catch(function () {
          timer = window.setTimeout(look, 400);
        });
    }

    stop.addEventListener("click", function () {
      finish(null);
    });
    document.addEventListener("keydown", onKey);
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        if (done) {
          media.getTracks().forEach(function (track) {
            track.stop();
          });
          return null;
        }
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(function () {
        if (!done) {
          look();
        }
      })
      .catch(function () {
        finish(null); // no camera or permission refused: typing still works
      });
  }

  supported
    .then(function (formats) {
      Array.prototype.forEach.call(inputs, function (input) {
        var format = input.getAttribute("data-scan");
        if (formats.indexOf(format) === -1) {
          return;
        }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button secondary small";
        button.textContent = input.getAttribute("data-scan-label") || "Scan";
        if (input.id) {
          button.setAttribute("aria-controls", input.id);
        }
        input.insertAdjacentElement("afterend", button);
        button.addEventListener("click", function () {
          scan(input, format, button);
        });
      });
    })
    .catch(function () {});
})();
