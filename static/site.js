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

// The compose form saves itself while the editor writes (Preview, Save draft and Publish save
// too, so this only narrows what a closed tab or a lost connection can take away).
document.querySelectorAll("form[data-autosave]").forEach(function (form) {
  var timer = null;
  var sentFile = null;
  var status = form.querySelector(".autosave");
  var draft = form.querySelector("input[name=draft]");
  function save() {
    var data = new FormData(form);
    data.delete("action");
    var file = form.querySelector("input[type=file]");
    var picked = file && file.files.length ? file.files[0] : null;
    if (!picked || picked === sentFile) { data.delete("image"); }
    fetch(form.dataset.autosave, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (result) {
        if (!result[0]) { if (status) { status.textContent = result[1].error || ""; } return; }
        sentFile = picked;
        draft.value = result[1].draft;
        if (status) {
          var when = new Date(result[1].saved_at);
          status.textContent = form.dataset.savedLabel + " " + new Intl.DateTimeFormat(
            document.documentElement.lang || undefined, { timeStyle: "short" }).format(when);
        }
      })
      .catch(function () { /* offline: the next change tries again */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  });
  form.addEventListener("submit", function () { clearTimeout(timer); });
});
