// Forget the copies of unsaved answers this browser keeps (see journey.js), when the page
// says so: <body data-forget-local-copies="RESPONSE_ID"> for one response, or "all".
(function () {
  "use strict";
  var which = document.body.dataset.forgetLocalCopies;
  if (!which) return;
  var prefix = "barometre:" + (which === "all" ? "" : which + ":");
  try {
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if (key && key.indexOf(prefix) === 0) localStorage.removeItem(key);
    }
  } catch (e) { /* storage disabled: there is nothing to forget */ }
})();
