/* Searchable pickers: a text box of codes (one per line) becomes a search box with chosen items.
 * Markup: <div class="picker" data-picker-url="..." data-picker-items='[{"code","label"}]'> with a
 * <textarea> (many) or <input> (data-picker-single) inside. Without this script the box still works.
 * Keyboard: type to search, Up/Down to move, Enter to choose, Escape to close, Backspace removes the last.
 */
(function () {
  "use strict";
  var counter = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setup(root) {
    var single = root.hasAttribute("data-picker-single");
    var box = root.querySelector(single ? "input" : "textarea");
    if (!box) { return; }
    var id = "picker" + (++counter);
    var url = root.getAttribute("data-picker-url");
    var strings = {
      placeholder: root.getAttribute("data-picker-placeholder") || "",
      empty: root.getAttribute("data-picker-empty") || "",
      remove: root.getAttribute("data-picker-remove") || "×",
      added: root.getAttribute("data-picker-added") || ""
    };
    var chosen = [];
    try { chosen = JSON.parse(root.getAttribute("data-picker-items") || "[]"); } catch (e) { chosen = []; }

    var wrap = el("div", {"class": "picker-ui position-relative"});
    var chips = el("ul", {"class": "picker-chips list-unstyled d-flex flex-wrap gap-1 mb-1", "aria-live": "polite"});
    var input = single ? box : el("input", {"type": "text", "class": "form-control", "autocomplete": "off"});
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    input.setAttribute("autocomplete", "off");
    if (strings.placeholder) { input.setAttribute("placeholder", strings.placeholder); }
    var list = el("ul", {"id": id + "-list", "role": "listbox", "class": "picker-list list-group position-absolute w-100 shadow-sm", "hidden": ""});
    // Single pickers show what was chosen (the box holds its code); multiple ones announce it to screen readers.
    var status = el("div", {"class": single ? "small text-success mt-1 picker-chosen" : "visually-hidden",
                            "role": "status", "aria-live": "polite"});
    var label = root.querySelector("label");
    if (label && !single) {
      input.id = id + "-input";
      label.setAttribute("for", input.id);
    }

    if (!single) {
      box.hidden = true;
      wrap.appendChild(chips);
      wrap.appendChild(input);
      box.parentNode.insertBefore(wrap, box.nextSibling);
    } else {
      box.parentNode.insertBefore(wrap, box);
      wrap.appendChild(box);
    }
    wrap.appendChild(list);
    wrap.appendChild(status);

    var options = [];
    var active = -1;
    var timer = null;
    var lastQuery = null;

    function sync() {
      if (!single) { box.value = chosen.map(function (c) { return c.code; }).join("\n"); }
    }

    function renderChips() {
      if (single) { return; }
      chips.innerHTML = "";
      chosen.forEach(function (item, index) {
        var chip = el("li", {"class": "badge text-bg-light border d-inline-flex align-items-center gap-1 picker-chip"});
        chip.appendChild(el("span", {}, item.label));
        var button = el("button", {"type": "button", "class": "btn-close btn-close-sm", "aria-label": strings.remove + " " + item.label});
        button.style.fontSize = "0.6rem";
        button.addEventListener("click", function () {
          chosen.splice(index, 1);
          sync(); renderChips(); input.focus();
        });
        chip.appendChild(button);
        chips.appendChild(chip);
      });
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      items.forEach(function (node, i) {
        node.classList.toggle("active", i === index);
        node.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({block: "nearest"});
      }
    }

    function choose(index) {
      var item = options[index];
      if (!item) { return; }
      if (single) {
        box.value = item.code;
        status.textContent = strings.added + " " + item.label;
      } else {
        if (!chosen.some(function (c) { return c.code === item.code; })) { chosen.push(item); }
        input.value = "";
        sync(); renderChips();
        status.textContent = strings.added + " " + item.label;
      }
      close();
      input.focus();
    }

    function render(items) {
      options = items;
      list.innerHTML = "";
      if (!items.length) {
        list.appendChild(el("li", {"class": "list-group-item small text-muted"}, strings.empty));
      }
      items.forEach(function (item, i) {
        var taken = !single && chosen.some(function (c) { return c.code === item.code; });
        var option = el("li", {"role": "option", "id": id + "-opt" + i, "aria-selected": "false",
                               "class": "list-group-item list-group-item-action small" + (taken ? " text-muted" : "")}, item.label);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(items.length ? 0 : -1);
    }

    function search() {
      var q = input.value.trim();
      if (q === lastQuery && !list.hidden) { return; }
      lastQuery = q;
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q), {
        headers: {"Accept": "application/json"}, credentials: "same-origin"
      }).then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (input.value.trim() === q) { render(items); } })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      if (single) { status.textContent = ""; }
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("focus", function () { if (!single || !box.value) { lastQuery = null; } });
    input.addEventListener("keydown", function (event) {
      var count = options.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { lastQuery = null; search(); return; }
        highlight(count ? (active + 1) % count : -1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden) { highlight(count ? (active - 1 + count) % count : -1); }
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) { event.preventDefault(); choose(active); }
        else if (!single) { event.preventDefault(); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      } else if (event.key === "Backspace" && !single && input.value === "" && chosen.length) {
        var removed = chosen.pop();
        sync(); renderChips();
        status.textContent = strings.remove + " " + removed.label;
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });

    renderChips();
    // Typed into before this script ran (a slow page): search for it now, as the typing would have.
    if (document.activeElement === input && input.value.trim()) { search(); }
  }

  document.querySelectorAll(".picker").forEach(setup);
})();
