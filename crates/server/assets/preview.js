// The survey editor's live preview. Without this script the "Show preview" button sends
// the form to the preview frame (formtarget="preview"); with it the frame follows what is
// typed: a moment after the last keystroke, or at once when the language or page of the
// preview changes, the form is sent again to a fresh frame that replaces the old one when
// it has loaded (so the page never flickers and the editor's Back button is not filled
// with previews). Moving into a text of another language, or of the thank-you page,
// switches the preview to it.
(function () {
  "use strict";
  var button = document.getElementById("preview-unsaved");
  var frame = document.getElementById("preview-frame");
  if (!button || !frame || !button.form || !button.form.requestSubmit) return;
  var form = button.form;
  var lang = document.getElementById("preview_lang");
  var step = document.getElementById("preview_step");
  var timer = null;
  var sent = 0;

  function update() {
    if (timer) clearTimeout(timer);
    timer = null;
    sent += 1;
    var mine = sent;
    var next = frame.cloneNode(false);
    next.removeAttribute("src");
    next.removeAttribute("id");
    next.name = "preview-" + mine;
    next.className = "preview-loading";
    frame.parentNode.appendChild(next);
    // Listening only now: a frame without a page fires "load" as it is inserted.
    next.addEventListener("load", function shown() {
      next.removeEventListener("load", shown);
      // Only the newest frame replaces the shown one; an older one that loads late goes.
      if (mine !== sent) {
        next.remove();
        return;
      }
      frame.remove();
      next.className = "";
      next.id = "preview-frame";
      next.name = "preview";
      frame = next;
    });
    button.formTarget = next.name;
    form.requestSubmit(button);
    button.formTarget = "preview";
  }

  function soon() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(update, 400);
  }

  function show(select, value) {
    if (!select || !value || select.value === value) return false;
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === value) {
        select.value = value;
        return true;
      }
    }
    return false;
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  [lang, step].forEach(function (select) {
    if (select) select.addEventListener("change", update);
  });
  form.addEventListener("focusin", function (event) {
    var field = event.target;
    var moved = show(lang, field.getAttribute("lang"));
    moved = show(step, field.getAttribute("data-preview-step")) || moved;
    if (moved) update();
  });
  // The no-script button works as before; with the script it updates the frame in place.
  button.addEventListener("click", function (event) {
    event.preventDefault();
    update();
  });
})();
