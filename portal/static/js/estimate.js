/* The claim form's live estimate: as the amounts are typed, ask /api/v1/insurance/plans/<code>/estimate
   and show its lines. Progressive enhancement: without this script the form's "work out what it
   pays" button shows the same lines from the server. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-estimate-url]");
  if (!form || !window.fetch) {
    return;
  }
  var box = document.getElementById("claim-estimate");
  var names = ["total_cost", "public_paid", "serious_paid", "excluded"];
  var timer = null;

  function amount(name) {
    var field = form.elements[name];
    if (!field) {
      return 0;
    }
    var text = field.value.replace(/[,，¥元\s]/g, "").replace(/[０-９．]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    });
    var value = parseFloat(text);
    return isFinite(value) && value > 0 ? value : 0;
  }

  function show(data) {
    var list = document.createElement("ol");
    list.className = "calc-lines";
    data.lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line.text;
      list.appendChild(item);
    });
    var total = document.createElement("p");
    total.className = "estimate-total";
    var money = new Intl.NumberFormat(document.documentElement.lang || "zh-CN", { style: "currency", currency: "CNY" });
    total.textContent = (box.getAttribute("data-total") || "{amount}").replace("{amount}", money.format(Number(data.payout)));
    box.replaceChildren(list, total);
  }

  function update() {
    var params = new URLSearchParams();
    var diagnosis = form.elements.diagnosis ? form.elements.diagnosis.value.trim() : "";
    if (form.elements.total_cost) {
      var eligible = amount("total_cost") - amount("public_paid") - amount("serious_paid") - amount("excluded");
      if (!(amount("total_cost") > 0)) {
        return;
      }
      params.set("eligible_amount", Math.max(0, eligible).toFixed(2));
    } else if (!diagnosis) {
      return;
    }
    params.set("paid_this_year", form.getAttribute("data-paid") || "0");
    if (diagnosis) {
      params.set("diagnosis", diagnosis);
    }
    fetch(form.getAttribute("data-estimate-url") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          show(data);
        }
      })
      .catch(function () {});
  }

  names.concat(["diagnosis"]).forEach(function (name) {
    var field = form.elements[name];
    if (field) {
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(update, 300);
      });
    }
  });
})();
