// The questionnaire page: live display conditions and background saving.
// Everything here is an improvement: without JavaScript the page works with its buttons.
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form) return;
  document.documentElement.classList.add("js");

  var summary = document.getElementById("error-summary") ||
    document.getElementById("conflict-summary");
  if (summary) summary.focus();

  // -- Display conditions ---------------------------------------------------------------
  var conditional = Array.prototype.slice.call(
    form.querySelectorAll(".question[data-condition-question]"));

  function chosenCodes(name) {
    var codes = [];
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
      if (input.checked && !input.disabled) codes.push(input.value);
    });
    return codes;
  }

  function applyConditions() {
    conditional.forEach(function (block) {
      var wanted = block.dataset.conditionCodes.split(" ");
      var shown = chosenCodes(block.dataset.conditionQuestion).some(function (code) {
        return wanted.indexOf(code) !== -1;
      });
      block.hidden = !shown;
      block.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }
  applyConditions();
  form.addEventListener("change", applyConditions);

  // -- Autosave ---------------------------------------------------------------------------
  var status = document.getElementById("autosave-status");
  var url = form.dataset.autosaveUrl;
  var storageKey = "barometre:" + url;
  var dirty = {};
  var timer = null;
  var retryDelay = 2000;
  var saving = false;

  function questionOf(element) {
    var block = element.closest(".question");
    return block ? block.id.replace(/^question-/, "") : null;
  }

  function say(text, warning) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("text-danger", !!warning);
    status.classList.toggle("fw-semibold", !!warning);
  }

  function fieldsOf(code) {
    var prefix = "q-" + code;
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && (el.name === prefix || el.name.indexOf(prefix + "-") === 0);
    });
  }

  function collect(codes) {
    var data = {};
    codes.forEach(function (code) {
      fieldsOf(code).forEach(function (el) {
        if (el.disabled) return;
        if (!(el.name in data)) data[el.name] = [];
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        data[el.name].push(el.value);
      });
    });
    return data;
  }

  function remember() {
    try {
      var pending = collect(Object.keys(dirty));
      if (Object.keys(pending).length) {
        localStorage.setItem(storageKey, JSON.stringify({at: Date.now(), data: pending}));
      } else {
        localStorage.removeItem(storageKey);
      }
    } catch (e) { /* private browsing: the server copy is the only one */ }
  }

  function save() {
    timer = null;
    var codes = Object.keys(dirty);
    if (!codes.length || saving) return;
    saving = true;
    var data = collect(codes);
    var body = new FormData();
    Object.keys(data).forEach(function (name) {
      if (!data[name].length) body.append(name, "");
      data[name].forEach(function (value) { body.append(name, value); });
    });
    body.append("version", form.elements.version.value);
    var sent = {};
    codes.forEach(function (code) { sent[code] = dirty[code]; });
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"X-CSRFToken": form.elements.csrfmiddlewaretoken.value, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (json) { return {ok: response.ok, json: json}; });
    }).then(function (result) {
      saving = false;
      if (!result.ok) {
        say(result.json.message || "Vos dernières saisies n’ont pas pu être enregistrées.", true);
        return;
      }
      retryDelay = 2000;
      Object.keys(sent).forEach(function (code) {
        if (dirty[code] === sent[code]) delete dirty[code];
      });
      remember();
      form.elements.version.value = result.json.version;
      var invalid = Object.keys(result.json.errors || {}).length;
      say("Enregistré à " + result.json.saved_at +
        (invalid ? ". Certaines réponses ne sont pas valides : elles seront signalées quand vous enregistrerez la page." : "."));
      if (Object.keys(dirty).length) schedule();
    }).catch(function () {
      saving = false;
      remember();
      say("Connexion perdue : vos saisies sont gardées dans ce navigateur et seront enregistrées dès le retour de la connexion.", true);
      timer = setTimeout(save, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  var changes = 0;
  function onEdit(event) {
    var code = questionOf(event.target);
    if (!code) return;
    dirty[code] = ++changes;
    remember();
    schedule();
  }
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  window.addEventListener("online", function () { if (Object.keys(dirty).length) save(); });

  // Typed text that never reached the server (lost connection, closed tab) comes back.
  try {
    var stored = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (stored && Date.now() - stored.at < 30 * 24 * 3600 * 1000) {
      Object.keys(stored.data).forEach(function (name) {
        var values = stored.data[name];
        form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
          if (el.type === "radio" || el.type === "checkbox") {
            el.checked = values.indexOf(el.value) !== -1;
          } else {
            el.value = values[0] || "";
          }
          var code = questionOf(el);
          if (code) dirty[code] = ++changes;
        });
      });
      applyConditions();
      say("Des saisies non enregistrées ont été restaurées ; enregistrement en cours…");
      schedule();
    }
  } catch (e) { /* ignore a malformed copy */ }

  form.addEventListener("submit", function () {
    if (timer) clearTimeout(timer);
  });
})();
