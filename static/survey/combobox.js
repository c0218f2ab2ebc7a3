/* The collectivité picker (templates/survey/includes/collectivite_picker.html) as a WAI-ARIA 1.2
 * combobox with list autocomplete: https://www.w3.org/WAI/ARIA/apg/patterns/combobox/
 *
 * DOM focus stays on the text box; the highlighted option is named by aria-activedescendant.
 * Down/Up move through the options (opening the list when closed), Enter chooses, Escape
 * closes the list, then clears the box. A polite live region announces how many results came
 * back and what was chosen. Without this script, the box and its « Rechercher » button are a
 * plain GET form to /collectivites/choisir.
 */
(function () {
  "use strict";

  var SEARCH_DELAY_MS = 200;
  var MIN_LENGTH = 2;

  function Picker(root) {
    this.root = root;
    this.input = root.querySelector("[data-picker-input]");
    this.listbox = root.querySelector("[data-picker-listbox]");
    this.status = root.querySelector("[data-picker-status]");
    this.chosen = root.querySelector("[data-picker-chosen]");
    this.noJsButton = root.querySelector("[data-picker-nojs]");
    this.target = document.getElementById(root.getAttribute("data-target"));
    this.url = root.getAttribute("data-search-url");
    this.results = [];
    this.active = -1;
    this.timer = null;
    this.controller = null;
    this.chosenName = this.target.value ? this.input.value : null;
    this.card = root.querySelector("[data-picker-card]");
    this.searchBox = root.querySelector("[data-picker-search]");
    this.changeButton = root.querySelector("[data-picker-change]");
    this.error = document.getElementById(this.target.id + "_error");
    this.taken = root.querySelector("[data-picker-taken]");
    this.takenUrl = root.getAttribute("data-taken-url");
    // A choice shows as a card; its « Changer » brings the search box back.
    this.searchBox.hidden = !this.card.hidden;
    this.changeButton.addEventListener("click", this.onChange.bind(this));

    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.setAttribute("aria-controls", this.listbox.id);
    this.noJsButton.hidden = true;

    this.input.addEventListener("input", this.onInput.bind(this));
    this.input.addEventListener("keydown", this.onKeyDown.bind(this));
    this.input.addEventListener("blur", this.close.bind(this));
    // Keep the focus in the text box when an option is clicked.
    this.listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    this.listbox.addEventListener("click", this.onClick.bind(this));
  }

  Picker.prototype.onChange = function (event) {
    event.preventDefault();
    this.searchBox.hidden = false;
    this.input.focus();
    var end = this.input.value.length;
    this.input.setSelectionRange(end, end);
  };

  Picker.prototype.clearError = function () {
    if (this.error) {
      this.error.hidden = true;
    }
    this.input.classList.remove("is-invalid");
    this.input.removeAttribute("aria-invalid");
    var describedBy = (this.input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter(function (id) {
        return id && id !== this.target.id + "_error";
      }, this);
    this.input.setAttribute("aria-describedby", describedBy.join(" "));
  };

  Picker.prototype.isOpen = function () {
    return !this.listbox.hidden;
  };

  Picker.prototype.onInput = function () {
    if (this.target.value && this.input.value !== this.chosenName) {
      this.setChosen(null);
    }
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(this.search.bind(this), SEARCH_DELAY_MS);
  };

  Picker.prototype.onKeyDown = function (event) {
    if (event.isComposing) {
      return;
    }
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!this.isOpen()) {
          this.openOrSearch(event.altKey ? -1 : 0);
        } else if (!event.altKey) {
          this.setActive(this.active + 1 < this.results.length ? this.active + 1 : 0);
        }
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!this.isOpen()) {
          this.openOrSearch(this.results.length - 1);
        } else {
          this.setActive(this.active > 0 ? this.active - 1 : this.results.length - 1);
        }
        break;
      case "Enter":
        // Never submit a form from here: Enter chooses, or searches now.
        event.preventDefault();
        if (this.isOpen() && this.active >= 0) {
          this.choose(this.active);
        } else {
          window.clearTimeout(this.timer);
          this.search();
        }
        break;
      case "Escape":
        if (this.isOpen()) {
          event.preventDefault();
          this.close();
        } else if (this.input.value) {
          event.preventDefault();
          this.input.value = "";
          this.setChosen(null);
        }
        break;
      case "Tab":
        this.close();
        break;
    }
  };

  Picker.prototype.onClick = function (event) {
    var option = event.target.closest("[role=option]");
    if (option) {
      this.choose(Number(option.getAttribute("data-index")));
    }
  };

  Picker.prototype.openOrSearch = function (index) {
    if (this.results.length && this.input.value.trim() === this.lastQuery) {
      this.open();
      if (index >= 0) {
        this.setActive(index);
      }
    } else {
      this.search();
    }
  };

  Picker.prototype.search = function () {
    var query = this.input.value.trim();
    if (this.controller) {
      this.controller.abort();
    }
    if (query.length < MIN_LENGTH) {
      this.results = [];
      this.lastQuery = null;
      this.close();
      this.announce(query ? "Saisissez au moins deux caractères." : "");
      return;
    }
    var controller = new AbortController();
    this.controller = controller;
    var picker = this;
    fetch(this.url + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      signal: controller.signal,
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (query !== picker.input.value.trim()) {
          return; // the text changed meanwhile: a newer search is on its way
        }
        picker.show(query, data.results || [], data.error);
      })
      .catch(function (error) {
        if (error.name === "AbortError") {
          return;
        }
        picker.close();
        picker.noJsButton.hidden = false;
        picker.announce("La recherche ne répond pas\u202f: utilisez le bouton «\u00a0Rechercher\u00a0».");
      });
  };

  Picker.prototype.show = function (query, results, error) {
    this.results = results;
    this.lastQuery = query;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    var options = results.map(function (result, index) {
      var option = document.createElement("li");
      option.id = this.listbox.id + "-" + index;
      option.className = "list-group-item collectivite-picker__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(index));
      var name = document.createElement("span");
      name.className = "d-block fw-semibold";
      name.textContent = result.name;
      var detail = document.createElement("span");
      detail.className = "d-block small";
      detail.textContent = result.detail;
      option.append(name, detail);
      return option;
    }, this);
    this.listbox.replaceChildren.apply(this.listbox, options);
    if (error) {
      this.close();
      this.announce(error);
    } else if (!results.length) {
      this.close();
      this.announce("Aucune collectivité ne correspond à «\u00a0" + query + "\u00a0».");
    } else {
      this.open();
      this.announce(
        (results.length === 1 ? "1 résultat" : results.length + " résultats") +
          "\u202f: flèches haut et bas pour parcourir, Entrée pour choisir."
      );
    }
  };

  Picker.prototype.open = function () {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Picker.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.setActive(-1);
  };

  Picker.prototype.setActive = function (index) {
    var previous = this.listbox.querySelector("[aria-selected=true]");
    if (previous) {
      previous.setAttribute("aria-selected", "false");
      previous.classList.remove("active");
    }
    this.active = index;
    if (index < 0) {
      return;
    }
    var option = document.getElementById(this.listbox.id + "-" + index);
    option.setAttribute("aria-selected", "true");
    option.classList.add("active");
    this.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  };

  Picker.prototype.choose = function (index) {
    var result = this.results[index];
    this.input.value = result.name;
    this.close();
    this.setChosen(result);
    this.announce("Collectivité choisie\u202f: " + result.label + ".");
    this.checkTaken(result);
  };

  // Right after the choice: a collectivité that already has a response is said now (with
  // the way to ask to contribute), not once the whole page is filled and saved.
  Picker.prototype.checkTaken = function (result) {
    var picker = this;
    this.taken.replaceChildren();
    if (!this.takenUrl) {
      return;
    }
    fetch(this.takenUrl.replace("CODE", encodeURIComponent(result.code)), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (answer) {
        return answer.ok ? answer.json() : { taken: false };
      })
      .then(function (data) {
        if (!data.taken || picker.target.value !== result.code) {
          return;
        }
        picker.taken.innerHTML = data.html; // the server's template, escaped there
        picker.input.value = "";
        picker.setChosen(null);
        picker.searchBox.hidden = false;
      })
      .catch(function () {
        // Offline: saving the page still refuses a taken collectivité, and says why.
      });
  };

  Picker.prototype.setChosen = function (result) {
    this.target.value = result ? result.code : "";
    this.chosenName = result ? result.name : null;
    this.card.hidden = !result;
    if (result) {
      var strong = document.createElement("strong");
      strong.textContent = result.label;
      this.chosen.replaceChildren("Collectivité choisie\u202f: ", strong);
      this.clearError();
      var hadFocus = document.activeElement === this.input;
      this.searchBox.hidden = true;
      if (hadFocus) {
        this.changeButton.focus();
      }
    } else {
      this.chosen.textContent = "Aucune collectivité choisie pour le moment.";
    }
  };

  Picker.prototype.announce = function (message) {
    // Emptying first makes screen readers repeat an identical message.
    this.status.textContent = "";
    var status = this.status;
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  };

  function start() {
    document.querySelectorAll("[data-collectivite-picker]").forEach(function (root) {
      if (!root.hasAttribute("data-picker-ready")) {
        root.setAttribute("data-picker-ready", "");
        new Picker(root);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
