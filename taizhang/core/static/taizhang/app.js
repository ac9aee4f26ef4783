/* taizhang: the little behaviour pages need, in one static file (no inline handlers, so
   the Content-Security-Policy can forbid inline script).

   - data-autosubmit on a field: changing it submits its form.
   - data-confirm="…" on a form: submitting asks first.
   - data-check-all="selector" on a button: ticks every checkbox the selector finds.
   - data-remove-closest="selector" on a button: removes its nearest such ancestor.
   - data-clears="id" on a text field: typing empties the hidden field with that id (an
     organization picker's chosen id no longer matches the text).
   - data-pick on a picker's choice (data-target, data-id, data-text): fills the picker's
     text field and its hidden id field, then closes the list. Inside a multiple picker
     (data-multi="name") it adds a ticked box named after the field (data-label), once.
   - Keyboard in a picker: ArrowDown from the text field into the suggestions, arrows
     between them, Escape back to the field; Enter in a multiple picker's field takes the
     first suggestion instead of sending the form.
   - data-expand-once on a tree toggle: once its children have loaded it shows "−".
   - A long choice list (a <select> of FILTER_FROM options or more, in a form that does not
     send itself on change) gets a search field before it: typing keeps the options whose
     text contains what was typed and chooses the first, ArrowDown moves to the list.
     Organization lists indent by level, so the browser's own type-ahead cannot find a
     name; this can. Person fields with thousands of candidates use the server pickers.
   - table.data: each cell gets data-label from its column header, so that narrow screens
     can show every row as a card (see app.css). */
(function () {
  "use strict";

  function labelTable(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) return;
    var labels = [];
    Array.prototype.forEach.call(head.rows[head.rows.length - 1].cells, function (th) {
      var span = th.colSpan || 1;
      for (var i = 0; i < span; i++) labels.push(th.textContent.trim());
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && labels[col]) {
            cell.setAttribute("data-label", labels[col]);
          }
          col += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("labelled");
  }

  function labelTables(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("table.data")) labelTable(scope);
    Array.prototype.forEach.call(scope.querySelectorAll("table.data"), labelTable);
  }

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.closest && field.closest("[data-autosubmit]") && field.form) {
      if (field.form.requestSubmit) field.form.requestSubmit();
      else field.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  document.addEventListener("input", function (event) {
    var id = event.target.getAttribute && event.target.getAttribute("data-clears");
    var hidden = id && document.getElementById(id);
    if (hidden) hidden.value = "";
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var toggle = event.detail && event.detail.elt;
    if (toggle && toggle.hasAttribute && toggle.hasAttribute("data-expand-once") && event.detail.successful) {
      toggle.textContent = "\u2212";
      toggle.setAttribute("aria-expanded", "true");
      toggle.disabled = true;
    }
  });

  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("[data-pick]");
    if (pick) {
      var target = pick.getAttribute("data-target");
      var text = document.getElementById(target);
      var multi = text && text.closest("[data-multi]");
      var list = pick.closest(".org-picker-list");
      if (multi) {
        addChoice(multi, pick.getAttribute("data-id"), pick.getAttribute("data-label") || pick.getAttribute("data-text"));
        text.value = "";
        text.focus();
      } else {
        var hidden = document.getElementById(target + "_id");
        if (text) text.value = pick.getAttribute("data-text");
        if (hidden) hidden.value = pick.getAttribute("data-id");
      }
      if (list) list.innerHTML = "";
      return;
    }
    var button = event.target.closest && event.target.closest("[data-check-all],[data-remove-closest]");
    if (!button) return;
    var all = button.getAttribute("data-check-all");
    if (all) {
      Array.prototype.forEach.call(document.querySelectorAll(all), function (box) { box.checked = true; });
    }
    var remove = button.getAttribute("data-remove-closest");
    if (remove) {
      var gone = button.closest(remove);
      if (gone) gone.remove();
    }
  });

  function addChoice(multi, id, label) {
    var name = multi.getAttribute("data-multi");
    var chosen = multi.querySelector(".chips");
    var boxes = chosen.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === id) { boxes[i].checked = true; return; }
    }
    var chip = document.createElement("label");
    chip.className = "chip";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = name;
    box.value = id;
    box.checked = true;
    chip.appendChild(box);
    chip.appendChild(document.createTextNode(" " + label));
    chosen.appendChild(chip);
  }

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.closest) return;
    var picker = field.closest(".org-picker");
    if (!picker) return;
    var list = picker.querySelector(".org-picker-list");
    var options = list ? Array.prototype.slice.call(list.querySelectorAll("[data-pick]")) : [];
    var at = options.indexOf(field);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) picker.querySelector("input[role=combobox]").focus();
      else options[at - 1].focus();
    } else if (event.key === "Escape" && list && list.innerHTML) {
      list.innerHTML = "";
      picker.querySelector("input[role=combobox]").focus();
    } else if (event.key === "Enter" && at < 0 && field.getAttribute("role") === "combobox" && picker.hasAttribute("data-multi")) {
      event.preventDefault();
      if (options.length) options[0].click();
    }
  });

  var FILTER_FROM = 15;

  function filterSelect(select) {
    if (select.multiple || select.options.length < FILTER_FROM || select.hasAttribute("data-filtered")) return;
    if (select.closest("[data-autosubmit]") || select.hasAttribute("data-autosubmit")) return;
    select.setAttribute("data-filtered", "");
    var input = document.createElement("input");
    input.type = "search";
    input.className = "select-filter";
    input.autocomplete = "off";
    input.placeholder = document.body.getAttribute("data-select-filter") || "";
    input.setAttribute("aria-label", input.placeholder);
    if (select.id) input.setAttribute("aria-controls", select.id);
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !q || option.value === "" || option.text.trim().toLowerCase().indexOf(q) >= 0;
        option.hidden = !match;
        if (match && q && option.value !== "" && !first) first = option;
      });
      if (first && select.value !== first.value) {
        select.value = first.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
      if (event.key === "ArrowDown") { event.preventDefault(); select.focus(); }
    });
    select.parentNode.insertBefore(input, select);
  }

  function filterSelects(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll("form select"), filterSelect);
  }

  document.addEventListener("DOMContentLoaded", function () { labelTables(document); filterSelects(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail && event.detail.elt ? event.detail.elt.parentNode || document : document;
    labelTables(root);
    filterSelects(root);
  });
})();
