/* The unit's survey form: live points and derived values (computed on the server by the
   scoring engine), per-section progress and autosave. Progressive enhancement: without
   this file the form still saves, validates and submits. */
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var previewUrl = form.getAttribute("data-preview-url");
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var editable = form.hasAttribute("data-editable");
  var status = document.querySelector("[data-autosave-status]");
  var timer = null, saveTimer = null, dirty = false, saving = false;
  var AUTOSAVE_MS = 20000;

  function valuesOnly() {
    var data = new FormData(form);
    Array.prototype.slice.call(form.querySelectorAll("input[type=file]")).forEach(function (input) {
      data.delete(input.name);
    });
    return data;
  }

  function answered(block) {
    var fields = block.querySelectorAll(".answer-input input, .answer-input select, .answer-input textarea");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "radio") { if (f.checked) { return true; } }
      else if (f.value && f.value.trim() !== "") { return true; }
    }
    return false;
  }

  function progress() {
    Array.prototype.slice.call(form.querySelectorAll("[data-section]")).forEach(function (section) {
      var blocks = section.querySelectorAll("[data-answerable]");
      var done = 0;
      for (var i = 0; i < blocks.length; i++) { if (answered(blocks[i])) { done++; } }
      var badge = document.querySelector('[data-progress="' + section.getAttribute("data-section") + '"]');
      if (badge) {
        badge.textContent = done + "/" + blocks.length;
        badge.classList.toggle("complete", done === blocks.length);
      }
    });
  }

  function setText(selector, text) {
    var node = document.querySelector(selector);
    if (node && !node.hasAttribute("data-relative")) { node.textContent = text; }
  }

  function showErrors(errors) {
    Array.prototype.slice.call(form.querySelectorAll("[data-error]")).forEach(function (node) {
      var code = node.getAttribute("data-error");
      var block = document.getElementById("i-" + code);
      if (errors && errors[code]) {
        node.textContent = errors[code];
        if (block) { block.classList.add("has-error"); }
      } else if (block && block.classList.contains("has-error")) {
        node.textContent = "";
        block.classList.remove("has-error");
      }
    });
  }

  function preview() {
    fetch(previewUrl, { method: "POST", body: valuesOnly(), credentials: "same-origin",
                        headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var relative = data.relative || [];
        Object.keys(data.points).forEach(function (code) {
          if (relative.indexOf(code) < 0) { setText('[data-points="' + code + '"]', data.points[code]); }
        });
        Object.keys(data.groups).forEach(function (code) { setText('[data-group="' + code + '"]', data.groups[code]); });
        Object.keys(data.derived).forEach(function (code) { setText('[data-derived="' + code + '"]', data.derived[code]); });
        setText("[data-total]", data.total || "–");
        showErrors(data.errors);
      })
      .catch(function () { /* the server-side render stays valid */ });
  }

  function say(text, isError) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function autosave() {
    if (!editable || !dirty || saving) { return; }
    saving = true;
    dirty = false;
    var data = valuesOnly();
    data.set("action", "save");
    fetch(autosaveUrl, { method: "POST", body: data, credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (res) {
        saving = false;
        if (res.status === 200) {
          form.querySelector("[name=version]").value = res.body.version;
          form.querySelector("[name=original]").value = res.body.original;
          say(res.body.message);
        } else if (res.status === 409) {
          say(res.body.message + " (" + res.body.conflict.map(function (c) {
            return c.code + ": " + (c.theirs || "–");
          }).join("; ") + ")", true);
          editable = false; /* stop autosaving: the user decides with the Save button */
        } else if (res.status === 400) {
          showErrors(res.body.errors);
          dirty = true;
        } else {
          say(res.body.error || "", true);
        }
      })
      .catch(function () { saving = false; dirty = true; });
  }

  function changed(event) {
    if (event.target.type === "file") { return; }
    dirty = true;
    progress();
    clearTimeout(timer);
    timer = setTimeout(preview, 350);
    if (editable) {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(autosave, AUTOSAVE_MS);
    }
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { dirty = false; clearTimeout(saveTimer); });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && editable) { event.preventDefault(); event.returnValue = ""; }
  });
  progress();
}());
