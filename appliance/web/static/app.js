// Missive — a little plain JavaScript on top of pages that work without it:
// no double submission, select-all, contact autocomplete, the due date shown
// as soon as a letter type is chosen. No framework, no build step.
"use strict";
(function () {
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function fmt(text, value) { return (text || "%s").replace("%s", value); }

  // A form sent once stays sent: a double click registers one letter (the
  // server also knows the form's key), and the button says it is working.
  document.querySelectorAll("form[data-guard]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.sent) { ev.preventDefault(); return; }
      form.dataset.sent = "1";
      // After the browser has read the form: a disabled button is not sent.
      setTimeout(function () {
        form.querySelectorAll('button[type="submit"], button:not([type])').forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // Back from the next page (bfcache): the form may be sent again on purpose.
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) return;
    document.querySelectorAll("form[data-guard]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  // Focus the error summary so that a screen reader reads it first.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }

  // Select every letter of the list.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.hidden = false;
    var boxes = all.form ? all.form.querySelectorAll('input[type="checkbox"][name="id"]') : [];
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
    });
  });

  // Show the fields of the chosen basket action only.
  document.querySelectorAll("select[data-action-select]").forEach(function (sel) {
    var fields = sel.form.querySelectorAll("[data-for-action]");
    function sync() {
      fields.forEach(function (f) {
        f.hidden = f.dataset.forAction.split(" ").indexOf(sel.value) < 0;
      });
    }
    sel.addEventListener("change", sync);
    sync();
  });

  // The due date a letter type gives, computed by the server on working days.
  document.querySelectorAll("form[data-register]").forEach(function (form) {
    var doctype = form.querySelector("[data-doctype]");
    var arrival = form.querySelector("[data-arrival]");
    var out = form.querySelector("[data-due]");
    if (!doctype || !out) return;
    var seq = 0;
    function update() {
      var n = ++seq;
      if (!doctype.value) { out.textContent = ""; return; }
      var url = "/due-date?doctype=" + encodeURIComponent(doctype.value) + "&arrival=" + encodeURIComponent(arrival ? arrival.value : "");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { text: "" }; })
        .then(function (d) { if (n === seq) out.textContent = d.text ? fmt(out.dataset.text, d.text) : ""; })
        .catch(function () {});
    }
    doctype.addEventListener("change", update);
    if (arrival) arrival.addEventListener("change", update);
  });

  // The sender field: an ARIA 1.2 combobox over the address book.
  var comboCount = 0;
  document.querySelectorAll("[data-sender]").forEach(function (box) {
    var input = box.querySelector("[data-sender-name]");
    var hidden = box.querySelector("[data-sender-id]");
    var list = box.querySelector(".suggestions");
    var picked = box.querySelector("[data-sender-picked]");
    var fresh = box.querySelector("[data-sender-new]");
    var create = box.querySelector("[data-create-contact]");
    var status = box.querySelector("[data-create-status]");
    if (!input || !list) return;
    var prefix = "combo" + (++comboCount) + "-";
    var items = [], active = -1, timer = null, seq = 0, picked_at = 0;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var lis = list.querySelectorAll("li");
      lis.forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && lis[i]) {
        input.setAttribute("aria-activedescendant", lis[i].id);
        lis[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function pick(c) {
      hidden.value = c.id;
      input.value = c.name;
      picked.textContent = fmt(picked.dataset.text, c.name + (c.email ? " <" + c.email + ">" : ""));
      if (fresh) fresh.hidden = true;
      close();
    }
    function render(cs) {
      items = cs;
      list.textContent = "";
      cs.forEach(function (c, i) {
        var li = document.createElement("li");
        li.id = prefix + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = c.name;
        var detail = [c.email, c.city].filter(Boolean).join(" · ");
        if (detail) {
          var small = document.createElement("small");
          small.textContent = detail;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pick(c); });
        list.appendChild(li);
      });
      if (cs.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    }
    function search() {
      var q = input.value.trim();
      var n = ++seq;
      if (q.length < 2) { render([]); return; }
      fetch("/contacts?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (cs) { if (n === seq && document.activeElement === input) render(cs); })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      if (hidden.value) {
        hidden.value = "";
        picked.textContent = "";
        if (fresh) fresh.hidden = false;
      }
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (ev) {
      var open = !list.hidden && items.length > 0;
      switch (ev.key) {
        case "ArrowDown":
          if (!open) { search(); return; }
          ev.preventDefault();
          highlight(Math.min(active + 1, items.length - 1));
          break;
        case "ArrowUp":
          if (!open) return;
          ev.preventDefault();
          highlight(Math.max(active - 1, 0));
          break;
        case "Enter":
          // Enter picks a highlighted contact; otherwise it sends the form.
          if (open && active >= 0) { ev.preventDefault(); picked_at = Date.now(); pick(items[active]); }
          break;
        case "Escape":
          if (open) { ev.preventDefault(); close(); }
          break;
      }
    });
    // Some keyboards send Enter's keypress apart from its keydown: the
    // Enter that picked a contact must not also send the form.
    input.addEventListener("keypress", function (ev) {
      if (ev.key === "Enter" && Date.now() - picked_at < 500) { ev.preventDefault(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });

    if (create) {
      create.hidden = false;
      create.addEventListener("click", function () {
        var body = new URLSearchParams();
        box.querySelectorAll("input[name^='sender_']").forEach(function (i) {
          if (i.name !== "sender_id") body.append(i.name, i.value);
        });
        status.textContent = "";
        fetch("/contacts", {
          method: "POST", body: body, credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRF-Token": csrf }
        }).then(function (r) {
          return r.json().then(function (d) { return { ok: r.ok, d: d }; });
        }).then(function (res) {
          if (res.ok) { pick(res.d); return; }
          var msgs = [];
          for (var k in (res.d.fields || {})) { msgs.push(res.d.fields[k]); }
          status.textContent = msgs.length ? msgs.join(" ; ") : (res.d.error || "");
        }).catch(function () {});
      });
    }
  });
})();
