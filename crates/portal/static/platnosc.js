// Follows a payment's status on its result page: asks every 2 s until the status is final and
// updates the live region (aria-live="polite"). Without JavaScript the page offers a refresh link.
(function () {
  "use strict";
  var box = document.getElementById("status-platnosci");
  if (!box || box.getAttribute("data-final") === "true") { return; }
  var url = box.getAttribute("data-status-url");
  var timer = window.setInterval(function () {
    var req = new XMLHttpRequest();
    req.open("GET", url);
    req.setRequestHeader("Accept", "application/json");
    req.onload = function () {
      if (req.status !== 200) { return; }
      var data;
      try { data = JSON.parse(req.responseText); } catch (e) { return; }
      if (data.label && box.textContent !== data.label) { box.textContent = data.label; }
      if (data.final) {
        window.clearInterval(timer);
        // The final page adds the receipt and the new balance.
        window.location.reload();
      }
    };
    req.send();
  }, 2000);
}());
