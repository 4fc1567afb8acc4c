// Copy buttons: each `button[data-copy]` copies the text of the element whose id it names
// and says so in its `[data-copied]` status. Without this script the buttons stay hidden
// and the texts can be selected and copied by hand.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[data-copied]");
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {
        if (status) status.textContent = "Could not copy; select the text and copy it.";
      });
    });
  });
})();
