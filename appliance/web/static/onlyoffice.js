// Missive — opens the OnlyOffice editor with the signed configuration the
// page carries in a JSON data block (no inline script: the page's CSP
// allows scripts from Missive and the Document Server only).
"use strict";
(function () {
  var el = document.getElementById("oo-config");
  var box = document.getElementById("editor");
  if (!el || !box) { return; }
  if (typeof DocsAPI === "undefined") {
    box.textContent = "Le serveur OnlyOffice ne répond pas : prévenez l'administrateur.";
    return;
  }
  box.textContent = "";
  new DocsAPI.DocEditor("editor", JSON.parse(el.textContent));
})();
