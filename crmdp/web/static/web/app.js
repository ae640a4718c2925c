// The few things the pages do in the browser: copy buttons, the org switcher,
// showing the auto email/SMS fields only when switched on, and the test console.
// Everything else is plain forms and links.
"use strict";

function copyButtons() {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const text = source.value !== undefined ? source.value : source.textContent;
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        // Without clipboard access (plain http on another host): select it for Ctrl-C.
        if (source.select) source.select();
        else window.getSelection().selectAllChildren(source);
      }
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
}

// A button that removes something asks first.
function confirmations() {
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
}

// The "Menu" button of a narrow screen: it opens and closes the navigation, and
// says which it is (aria-expanded). Escape closes it and gives the focus back.
function menuButton() {
  const button = document.querySelector("[data-menu]");
  if (!button) return;
  const panel = document.getElementById(button.getAttribute("aria-controls"));
  document.documentElement.classList.add("has-menu");
  button.hidden = false;
  const set = (open) => {
    button.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("open", open);
  };
  button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.classList.contains("open")) {
      set(false);
      button.focus();
    }
  });
}

function autosubmit() {
  document.querySelectorAll("[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
}

function dependentFields() {
  document.querySelectorAll("[data-depends-on]").forEach((block) => {
    const toggle = document.getElementById(block.dataset.dependsOn);
    if (!toggle) return;
    const update = () => { block.hidden = !toggle.checked; };
    toggle.addEventListener("change", update);
    update();
  });
}

function testConsole() {
  const root = document.querySelector("[data-console]");
  if (!root) return;
  const samples = JSON.parse(document.getElementById("console-samples").textContent);
  const picker = root.querySelector("[data-console-sample]");
  const body = root.querySelector("[data-console-body]");
  const send = root.querySelector("[data-console-send]");
  const status = root.querySelector("[data-console-status]");
  const output = root.querySelector("[data-console-response]");
  const logLink = root.querySelector("[data-console-link]");

  picker.addEventListener("change", () => { body.value = samples[picker.value] || ""; });

  send.addEventListener("click", async () => {
    send.disabled = true;
    status.className = "status";
    status.textContent = "Sending…";
    logLink.hidden = true;
    const started = performance.now();
    try {
      // The listener needs no session: its secret URL is the credential.
      const response = await fetch(root.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: body.value,
        credentials: "omit",
      });
      const text = await response.text();
      const took = Math.round(performance.now() - started);
      status.className = `status status-${String(response.status)[0]}xx`;
      status.textContent = `${response.status} ${response.statusText} · ${took} ms`;
      let shown = text;
      try {
        const answer = JSON.parse(text);
        shown = JSON.stringify(answer, null, 2);
        if (answer.requestId) {
          logLink.querySelector("a").href = `${root.dataset.logUrl}${answer.requestId}/`;
          logLink.hidden = false;
        }
      } catch { /* not JSON: shown as it came */ }
      output.textContent = shown;
    } catch (error) {
      status.className = "status status-5xx";
      status.textContent = "Not sent";
      output.textContent = String(error);
    } finally {
      send.disabled = false;
    }
  });
}

// The deal board: dropping a card on another column chooses that stage in the
// card's own form and sends it, as choosing it and pressing Move would.
function dealBoard() {
  const board = document.querySelector("[data-board]");
  if (!board) return;
  let dragged = null;
  board.querySelectorAll(".board-card[draggable]").forEach((card) => {
    card.addEventListener("dragstart", (event) => {
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.deal);
    });
    card.addEventListener("dragend", () => { dragged = null; });
  });
  board.querySelectorAll("[data-stage]").forEach((column) => {
    column.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", () => column.classList.remove("drop-target"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("drop-target");
      if (!dragged) return;
      const select = dragged.querySelector("select[name=stage]");
      if (select.value === column.dataset.stage) return;
      select.value = column.dataset.stage;
      select.form.submit();
    });
  });
}

// The hosted form's preview on a form listener's settings page follows the
// "Hosted form fields" box as it is typed in (the saved form is unchanged).
function hostedFormPreview() {
  const frame = document.querySelector("[data-live-preview]");
  const fields = document.getElementById("id_form_fields");
  if (!frame || !fields) return;
  let timer;
  fields.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      frame.src = frame.dataset.livePreview + "?fields=" + encodeURIComponent(fields.value);
    }, 300);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  hostedFormPreview();
  menuButton();
  copyButtons();
  confirmations();
  autosubmit();
  dependentFields();
  testConsole();
  dealBoard();
});
