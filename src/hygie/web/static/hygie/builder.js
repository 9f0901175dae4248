// The cohort builder (feasibility/builder.html). The form works without this script: its
// buttons post "add", "remove" and "find" actions that the server answers with the form again.
// With it, those happen in the page:
// - rows are added from a <template> (Django's empty form) and removed, the others renumbered;
// - each row shows the fields of its kind only (data-show lists the kinds a field is for);
// - the event kinds a dataset does not hold are disabled (the dataset options' data-kinds);
// - the code lookup is a combobox (WAI-ARIA 1.2 pattern, list autocomplete): type part of a label,
//   arrows to move, Enter or a click to add the code to the row's codes, Escape to close.
(function () {
  "use strict";
  var form = document.getElementById("builder");
  if (!form) { return; }
  var PERSON_KINDS = ["age", "sex"];

  // --- rows ---------------------------------------------------------------------------------

  function rowKind(row) {
    var kind = row.querySelector("select[name$='-kind']");
    return kind ? kind.value : "";
  }

  function showFields(row) {
    var kind = rowKind(row);
    row.querySelectorAll("[data-show]").forEach(function (field) {
      var kinds = field.getAttribute("data-show").split(" ");
      var errors = field.querySelector(".fr-error-text");
      field.hidden = !errors && (kind === "" || kinds.indexOf(kind) < 0);
    });
  }

  function total(group) {
    return form.querySelector("input[name='" + group + "-TOTAL_FORMS']");
  }

  function renumber(row, group, index) {
    var pattern = new RegExp(group + "-(\\d+|__prefix__)", "g");
    var fresh = group + "-" + index;
    row.id = "row-" + fresh;
    row.querySelectorAll("*").forEach(function (el) {
      ["id", "name", "for", "aria-describedby", "aria-controls", "aria-activedescendant"]
        .forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(pattern, fresh)); }
        });
      if (el.tagName === "BUTTON" && el.value) { el.value = el.value.replace(pattern, fresh); }
    });
    var legend = row.querySelector("legend");
    if (legend) {
      legend.textContent = row.getAttribute("data-legend").replace("__num__", String(index + 1));
    }
  }

  function updateAdd(group) {
    var block = form.querySelector("[data-group='" + group + "']");
    var button = block.querySelector("[data-add]");
    button.disabled = Number(total(group).value) >= Number(block.getAttribute("data-max"));
  }

  function addRow(group) {
    var block = form.querySelector("[data-group='" + group + "']");
    var count = Number(total(group).value);
    if (count >= Number(block.getAttribute("data-max"))) { return; }
    var template = document.getElementById(group + "-template");
    var row = template.content.firstElementChild.cloneNode(true);
    renumber(row, group, count);
    block.querySelector(".builder-rows").appendChild(row);
    total(group).value = String(count + 1);
    setUp(row);
    updateAdd(group);
    row.querySelector("select[name$='-kind']").focus();
  }

  function removeRow(row) {
    var group = row.getAttribute("data-row");
    var rows = row.parentNode;
    var heading = row.closest("[data-group]").querySelector("legend");
    row.remove();
    Array.prototype.forEach.call(rows.querySelectorAll("[data-row]"), function (r, i) {
      renumber(r, group, i);
    });
    total(group).value = String(rows.querySelectorAll("[data-row]").length);
    updateAdd(group);
    var add = form.querySelector("[data-add='" + group + "']");
    (add && !add.disabled ? add : heading).focus();
  }

  // --- datasets and the kinds they hold -----------------------------------------------------

  var dataset = form.querySelector("select[name='dataset']");

  function heldKinds() {
    var option = dataset && dataset.selectedOptions[0];
    var kinds = option && option.getAttribute("data-kinds");
    return kinds === null || kinds === undefined ? null : kinds.split(" ");
  }

  function offerKinds(row) {
    var held = heldKinds();
    row.querySelectorAll("select[name$='-kind'] option").forEach(function (option) {
      var kind = option.value;
      option.disabled = held !== null && kind !== "" && PERSON_KINDS.indexOf(kind) < 0 &&
        held.indexOf(kind) < 0;
    });
  }

  // --- the code lookup (combobox) ----------------------------------------------------------

  function lookup(row) {
    var box = row.querySelector("[data-lookup]");
    if (!box) { return; }
    var input = box.querySelector("input");
    var list = box.querySelector("[role='listbox']");
    var status = box.querySelector(".lookup-status");
    var find = box.querySelector(".lookup-find");
    var codes = row.querySelector("input[name$='-codes']");
    if (find) { find.hidden = true; }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var timer = null, active = -1, asked = 0;

    function options() { return list.querySelectorAll("[role='option']"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function move(to) {
      var all = options();
      if (!all.length) { return; }
      active = (to + all.length) % all.length;
      all.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({block: "nearest"});
    }

    function choose(option) {
      var code = option.getAttribute("data-insert");
      var have = codes.value.split(/[\s,;]+/).filter(Boolean);
      if (have.map(function (c) { return c.toUpperCase(); }).indexOf(code) < 0) { have.push(code); }
      codes.value = have.join(", ");
      codes.dispatchEvent(new Event("change", {bubbles: true}));
      input.value = "";
      close();
      status.textContent = code + " " + form.getAttribute("data-added");
      input.focus();
    }

    function show(hits) {
      list.textContent = "";
      hits.forEach(function (hit, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-insert", hit.insert);
        var code = document.createElement("span");
        code.className = "lookup-code";
        code.textContent = hit.insert;
        li.appendChild(code);
        li.appendChild(document.createTextNode(" " + hit.label));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      active = -1;
      list.hidden = hits.length === 0;
      input.setAttribute("aria-expanded", hits.length ? "true" : "false");
      status.textContent = hits.length ? hits.length + " " + form.getAttribute("data-found")
        : form.getAttribute("data-none");
    }

    function ask() {
      var q = input.value.trim(), kind = rowKind(row);
      if (q.length < 2) { close(); status.textContent = ""; return; }
      if (!kind || PERSON_KINDS.indexOf(kind) >= 0) {
        status.textContent = form.getAttribute("data-choose-kind");
        return;
      }
      var mine = ++asked;
      var url = form.getAttribute("data-lookup-url") + "?" + new URLSearchParams(
        {kind: kind, q: q, limit: "10"}).toString();
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { if (mine === asked) { show(data.codes); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 200);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { ask(); } else { move(active + 1); }
      } else if (e.key === "ArrowUp") {
        if (open) { e.preventDefault(); move(active - 1); }
      } else if (e.key === "Enter") {
        e.preventDefault();  // never submits the form from here
        if (open && active >= 0) { choose(options()[active]); } else { ask(); }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); } else { input.value = ""; }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  // --- wiring -------------------------------------------------------------------------------

  function setUp(row) {
    showFields(row);
    offerKinds(row);
    lookup(row);
    var kind = row.querySelector("select[name$='-kind']");
    kind.addEventListener("change", function () {
      showFields(row);
      var codelist = row.querySelector("input[name$='-codelist']");
      if (codelist) { codelist.value = ""; }  // a kept list name told of the old kind
    });
  }

  form.querySelectorAll("[data-row]").forEach(setUp);
  form.addEventListener("click", function (e) {
    var button = e.target.closest("button");
    if (!button) { return; }
    if (button.hasAttribute("data-add")) {
      e.preventDefault();
      addRow(button.getAttribute("data-add"));
    } else if (button.hasAttribute("data-remove")) {
      e.preventDefault();
      removeRow(button.closest("[data-row]"));
    }
  });
  if (dataset) {
    dataset.addEventListener("change", function () {
      form.querySelectorAll("[data-row]").forEach(offerKinds);
    });
  }
})();
