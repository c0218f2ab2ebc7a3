// The questionnaire page's choices and numbers (display conditions and autosave live in
// journey.js). Without JavaScript every « Précisez » field shows, and the server refuses an
// exclusive choice ticked with others.
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  if (!form) return;

  // -- « Précisez » fields show while their « Autre » choice is ticked ------------------------
  function showOtherFields() {
    form.querySelectorAll("input[data-other-for]").forEach(function (choice) {
      var input = form.querySelector('[name="' + choice.dataset.otherFor + '"]');
      var field = input && input.closest("[data-other-field]");
      if (field) field.hidden = !choice.checked;
    });
  }

  // -- « Je ne sais pas », « Aucun »: ticking one unticks the others, and the reverse ----------
  function keepExclusiveChoicesAlone(event) {
    var box = event.target;
    if (box.type !== "checkbox" || !box.checked) return;
    form.querySelectorAll('input[type="checkbox"][name="' + box.name + '"]').forEach(function (other) {
      if (other !== box && (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
        other.checked = false;
      }
    });
  }

  // -- Numbers: only the questions on screen are counted -------------------------------------
  function renumber() {
    var number = 0;
    var numbers = {};
    form.querySelectorAll(".question").forEach(function (block) {
      if (block.hidden) return;
      number += 1;
      numbers[block.id] = number;
      var label = block.querySelector(".question-number");
      if (label && label.textContent !== String(number)) label.textContent = number;
    });
    form.querySelectorAll("[data-number-of]").forEach(function (span) {
      var value = numbers[span.dataset.numberOf];
      if (value && span.textContent !== String(value)) span.textContent = value;
    });
  }

  form.addEventListener("change", function (event) {
    keepExclusiveChoicesAlone(event);
    showOtherFields();
  });
  showOtherFields();
  renumber();
  // journey.js hides and shows conditional questions: follow it.
  new MutationObserver(renumber).observe(form, {
    subtree: true, attributes: true, attributeFilter: ["hidden"]
  });
})();
