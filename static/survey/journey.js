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

  // -- Autosave and the browser's copy of unsaved answers ---------------------------------
  // The copy is kept per response and page, with the version it was typed on: a copy
  // restored later goes through the server's conflict check like any stale page.
  // A copy posted with the page's own buttons is marked so: once the server's version has
  // moved past it, the server had it (and perhaps newer answers since), and it is dropped.
  var status = document.getElementById("autosave-status");
  var url = form.dataset.autosaveUrl;
  var storageKey = "barometre:" + form.dataset.response + ":" + form.dataset.section;
  var dirty = {};     // questions edited since their last save: autosaved
  var held = {};      // questions whose value is not saved and is not autosaved as it is
  var refused = {};   // question code: what the server said about its value
  var paused = false; // a restored copy waits for the respondent to check it and save
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

  function unsavedCodes() {
    var codes = Object.keys(dirty);
    Object.keys(held).forEach(function (code) {
      if (codes.indexOf(code) === -1) codes.push(code);
    });
    return codes;
  }

  function remember() {
    try {
      var pending = collect(unsavedCodes());
      if (Object.keys(pending).length) {
        localStorage.setItem(storageKey, JSON.stringify(
          {at: Date.now(), version: Number(form.elements.version.value), data: pending}));
      } else {
        localStorage.removeItem(storageKey);
      }
    } catch (e) { /* private browsing: the server copy is the only one */ }
  }

  // The page posts what it displayed ("shown") so that the server saves only what changed;
  // once autosaved, a question counts as changed, even if typed back to its first value.
  function forgetShown(codes) {
    var field = form.elements.shown;
    if (!field) return;
    field.value = field.value.split(" ").filter(function (item) {
      return codes.indexOf(item.split(":")[0]) === -1;
    }).join(" ");
  }

  function refusedText() {
    var lines = Object.keys(refused).map(function (code) { return refused[code]; });
    return "Pas enregistré\u202f: " + lines.join(" ") + " Vos autres réponses sont enregistrées.";
  }

  function refusalMessage(httpStatus, json) {
    if (json && json.message) return json.message;
    return "Le serveur n’a pas pu enregistrer vos dernières saisies (erreur " + httpStatus + "). " +
      "Elles sont gardées dans ce navigateur\u202f: enregistrez la page avec l’un des boutons ci-dessous.";
  }

  function save() {
    timer = null;
    var codes = Object.keys(dirty);
    if (!codes.length || saving || paused) return;
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
      // An answer, even an error page, means the network works: only fetch failing is a loss.
      return response.json().catch(function () { return null; }).then(function (json) {
        return {ok: response.ok && json !== null, status: response.status, json: json};
      });
    }, function () {
      return null;
    }).then(function (result) {
      saving = false;
      if (result === null) {
        remember();
        say("Connexion perdue\u202f: vos saisies sont gardées dans ce navigateur et seront enregistrées dès le retour de la connexion.", true);
        timer = setTimeout(save, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
        return;
      }
      retryDelay = 2000;
      if (!result.ok) {
        // A refusal is not retried on its own: the next edit, or saving the page, tries again.
        remember();
        say(refusalMessage(result.status, result.json), true);
        return;
      }
      var refusedNow = {};
      (result.json.refused || []).forEach(function (row) {
        refusedNow[row.code] = row.text;  // typeset by the server
      });
      Object.keys(sent).forEach(function (code) {
        if (dirty[code] !== sent[code]) return;  // edited again meanwhile: saved next time
        delete dirty[code];
        if (code in refusedNow) {
          held[code] = true;
          refused[code] = refusedNow[code];
        } else {
          delete held[code];
          delete refused[code];
        }
      });
      remember();
      form.elements.version.value = result.json.version;
      forgetShown(Object.keys(sent));
      if (Object.keys(refused).length) {
        say(refusedText(), true);
      } else if (Object.keys(held).length) {
        say("Dernière modification enregistrée à " + result.json.saved_at + "\u202f; les autres saisies de la page ne sont pas encore enregistrées\u202f: enregistrez la page avec l’un des boutons ci-dessous.", true);
      } else {
        say("Enregistré à " + result.json.saved_at + ".");
      }
      if (Object.keys(dirty).length) schedule();
    });
  }

  function schedule() {
    if (paused) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  var changes = 0;
  function onEdit(event) {
    var code = questionOf(event.target);
    if (!code) return;
    if (paused) held[code] = true;
    else dirty[code] = ++changes;
    remember();
    schedule();
  }
  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);
  window.addEventListener("online", function () { if (Object.keys(dirty).length) save(); });

  // Values compared as the server shows them back: numbers grouped, texts trimmed.
  function comparable(el, value) {
    value = String(value || "");
    if (el.classList.contains("number-input")) return value.replace(/[\s\u00a0\u202f]/g, "").replace(".", ",");
    return value.replace(/\r\n?/g, "\n").trim();
  }

  function differs(name, values) {
    var differ = false;
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked !== (values.indexOf(el.value) !== -1)) differ = true;
      } else if (comparable(el, el.value) !== comparable(el, values[0])) {
        differ = true;
      }
    });
    return differ;
  }

  function restore(name, values) {
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) !== -1;
      } else {
        el.value = values[0] || "";
      }
    });
  }

  function markRestored(code) {
    var block = document.getElementById("question-" + code);
    if (!block || block.querySelector(".restored-note")) return;
    var note = document.createElement("p");
    note.className = "restored-note small fw-semibold text-warning-emphasis mb-1";
    note.textContent = "Saisie restaurée depuis ce navigateur, pas encore enregistrée.";
    block.insertBefore(note, block.firstChild);
  }

  try {
    // Copies kept by earlier versions of this script, keyed by page address only.
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if (key && key.indexOf("barometre:/") === 0) localStorage.removeItem(key);
    }
    if (form.hasAttribute("data-shown-unsaved")) {
      // The server showed the typed values back unsaved (errors, conflict, expiry): the page
      // already says so; keep them all in the copy until they are saved.
      fieldsOf("").forEach(function (el) {
        var code = questionOf(el);
        if (code) held[code] = true;
      });
      remember();
    } else {
      // Typed text that never reached the server (lost connection, closed tab) comes back,
      // unsaved, where it differs from what the server shows.
      var stored = JSON.parse(localStorage.getItem(storageKey) || "null");
      if (stored && stored.posted &&
          Number(form.dataset.savedVersion) > (Number(stored.version) || 0)) {
        stored = null;  // saved with the page: what the server shows is as new or newer
      }
      var restored = [];
      if (stored && stored.data && Date.now() - stored.at < 30 * 24 * 3600 * 1000) {
        Object.keys(stored.data).forEach(function (name) {
          var code = questionOf(form.querySelector('[name="' + name + '"]') || form);
          if (!code || !differs(name, stored.data[name])) return;
          if (restored.indexOf(code) === -1) restored.push(code);
        });
        restored.forEach(function (code) {
          fieldsOf(code).forEach(function (el) {
            if (el.name in stored.data) restore(el.name, stored.data[el.name]);
          });
        });
      }
      if (restored.length) {
        applyConditions();
        restored.forEach(function (code) { held[code] = true; markRestored(code); });
        var version = Number(stored.version) || 0;
        if (version < Number(form.elements.version.value)) {
          form.elements.version.value = version;  // so that the server checks for conflicts
        }
        paused = true;
        say("Des saisies faites dans ce navigateur n’avaient pas été enregistrées\u202f: elles sont remises ci-dessous (questions signalées). Vérifiez-les, puis enregistrez la page avec l’un des boutons ci-dessous.", true);
      }
      remember();
    }
  } catch (e) { /* storage disabled or a malformed copy: the server copy is the only one */ }

  form.addEventListener("submit", function () {
    if (timer) clearTimeout(timer);
    // The page posts every typed value: its copy stays (the post may fail) but is marked as
    // posted. A page shown back unsaved (errors, conflict) writes a fresh, unmarked copy.
    remember();
    try {
      var copy = JSON.parse(localStorage.getItem(storageKey) || "null");
      if (copy) {
        copy.posted = true;
        localStorage.setItem(storageKey, JSON.stringify(copy));
      }
    } catch (e) { /* private browsing: the server copy is the only one */ }
  });
})();
