// Progressive enhancement only: every page works without this script.
// Event times: add the reader's own local time next to the event's time zone.
document.querySelectorAll("time[data-local]").forEach(function (el) {
  var when = new Date(el.getAttribute("datetime"));
  if (isNaN(when)) { return; }
  var local = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "full", timeStyle: "short"
  }).format(when);
  var note = document.createElement("span");
  note.className = "local-time";
  note.textContent = " (" + local + ")";
  el.after(note);
});

// Handles and post addresses: a Copy button beside them (people paste them into their app).
if (navigator.clipboard) {
  document.querySelectorAll("code.copyable").forEach(function (code) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = document.body.dataset.copy || "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent.trim()).then(function () {
        button.textContent = document.body.dataset.copied || "Copied";
      });
    });
    code.parentNode.after(button);
  });
}
