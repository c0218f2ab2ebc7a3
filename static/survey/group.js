// Repeated groups (« Ajouter un projet », « Retirer ce projet ») without a round trip.
// Without JavaScript the same buttons post the page, which comes back changed and unsaved.
// A removed item stays in the page, hidden, until the page is left: « Annuler le retrait »
// brings it back. Every change goes through the page's usual autosave (journey.js).
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form) return;
  var status = document.getElementById("autosave-status");

  function say(text) {
    if (status) status.textContent = text;
  }

  function groupOf(element) {
    var block = element.closest(".question");
    var list = block && block.querySelector("[data-group]");
    if (!list) return null;
    return {
      block: block,
      list: list,
      items: block.querySelector("[data-group-items]"),
      removed: block.querySelector("[data-group-removed]"),
      order: block.querySelector("[data-group-order]"),
      add: block.querySelector("[data-group-add]"),
      template: block.querySelector("template[data-group-template]"),
      max: Number(list.dataset.maxItems)
    };
  }

  function sections(group) {
    return Array.prototype.slice.call(group.list.querySelectorAll("[data-group-item]"));
  }

  function isRemoved(section) {
    return !section.querySelector("[data-item-removed]").hidden;
  }

  function label(group) {
    return group.add ? group.add.textContent.replace(/^Ajouter un\s+/, "") : "élément";
  }

  // The hidden lists the server reads, the numbers shown, and the « Ajouter » button.
  function refresh(group) {
    var shown = [], removed = [], number = 0;
    sections(group).forEach(function (section) {
      var gone = isRemoved(section);
      (gone ? removed : shown).push(section.dataset.index);
      if (!gone) number += 1;
      section.querySelectorAll("[data-item-number]").forEach(function (span) {
        span.textContent = gone ? "(retiré)" : String(number);
      });
    });
    group.items.value = shown.join(" ");
    group.removed.value = removed.join(" ");
    if (group.order) {
      group.order.value = sections(group).map(function (s) { return s.dataset.index; }).join(" ");
    }
    if (group.add) group.add.hidden = shown.length >= group.max;
    group.items.dispatchEvent(new Event("change", {bubbles: true}));
    return shown.length;
  }

  function add(group) {
    var used = sections(group).map(function (s) { return Number(s.dataset.index); });
    var index = 0;
    for (var i = 1; i <= group.max; i++) {
      if (used.indexOf(i) === -1) { index = i; break; }
    }
    if (!index) {
      // Every slot taken: the oldest removed item gives way (its removal becomes final).
      var oldest = sections(group).filter(isRemoved)[0];
      if (!oldest) return;
      index = Number(oldest.dataset.index);
      oldest.remove();
    }
    group.list.insertAdjacentHTML("beforeend", group.template.innerHTML.split("__i__").join(index));
    var section = group.list.lastElementChild;
    var count = refresh(group);
    say(label(group).charAt(0).toUpperCase() + label(group).slice(1) + " " + count + " ajouté.");
    var first = section.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }

  function remove(group, section) {
    var number = section.querySelector("[data-item-number]").textContent;
    var noun = label(group);
    if (!window.confirm("Retirer le " + noun + " " + number + " ? Vous pourrez annuler ce " +
        "retrait tant que vous restez sur cette page.")) return;
    section.querySelector("[data-item-body]").hidden = true;
    section.querySelector("[data-item-removed]").hidden = false;
    refresh(group);
    say("Le " + noun + " " + number + " est retiré. «\u00a0Annuler le retrait\u00a0» le rétablit.");
    section.querySelector("[data-group-restore]").focus();
  }

  function restore(group, section) {
    var shown = sections(group).filter(function (s) { return !isRemoved(s); }).length;
    if (shown >= group.max) {
      say(group.max + " " + label(group) + "s au plus\u202f: retirez-en un d’abord.");
      return;
    }
    section.querySelector("[data-item-body]").hidden = false;
    section.querySelector("[data-item-removed]").hidden = true;
    refresh(group);
    say("Le " + label(group) + " est rétabli.");
    var first = section.querySelector("[data-item-body] input:not([type=hidden]), [data-item-body] textarea");
    if (first) first.focus();
  }

  // A copy of unsaved answers kept by journey.js (which runs after this script) may hold
  // items added in this browser and never saved: give them their fields first, so that
  // journey.js can put their values back like any other.
  function prepareStoredItems() {
    if (form.hasAttribute("data-shown-unsaved")) return;
    var stored;
    try {
      var key = "barometre:" + form.dataset.response + ":" + form.dataset.section;
      stored = JSON.parse(localStorage.getItem(key) || "null");
    } catch (e) { return; }
    if (!stored || !stored.data) return;
    form.querySelectorAll("[data-group]").forEach(function (list) {
      var group = groupOf(list);
      if (!group || !group.template) return;
      var created = false;
      [["", false], ["-removed", true]].forEach(function (pair) {
        var values = stored.data[group.items.name + pair[0]];
        String((values && values[0]) || "").split(" ").forEach(function (index) {
          if (!/^[0-9]+$/.test(index) || Number(index) < 1 || Number(index) > group.max) return;
          if (group.list.querySelector('[data-group-item][data-index="' + index + '"]')) return;
          group.list.insertAdjacentHTML("beforeend", group.template.innerHTML.split("__i__").join(index));
          created = true;
          if (pair[1]) {
            var section = group.list.lastElementChild;
            section.querySelector("[data-item-body]").hidden = true;
            section.querySelector("[data-item-removed]").hidden = false;
          }
        });
      });
      if (created) refresh(group);  // numbers; journey.js then puts the stored lists back
    });
  }
  prepareStoredItems();

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-group-add], [data-group-remove], [data-group-restore]");
    if (!button) return;
    var group = groupOf(button);
    if (!group) return;
    event.preventDefault();
    if (button.hasAttribute("data-group-add")) add(group);
    else if (button.hasAttribute("data-group-remove")) remove(group, button.closest("[data-group-item]"));
    else restore(group, button.closest("[data-group-item]"));
  });
})();
