// Small enhancements; every page works without them.

// Ask before destructive actions.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Copy a secret shown once to the clipboard, and say so to screen readers too.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  const said = button.parentElement.querySelector(".copied");
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    said.textContent = "Copied.";
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    said.textContent = "Selected: press Ctrl+C to copy.";
  }
});

// The registration form: find an entity among many, and count the chosen events.
for (const filter of document.querySelectorAll(".entity-filter")) {
  filter.hidden = false;
  const form = filter.closest("form");
  filter.querySelector("input").addEventListener("input", (event) => {
    const wanted = event.target.value.trim().toLowerCase();
    for (const row of form.querySelectorAll("tr[data-entity]")) {
      row.hidden = wanted !== "" && !row.dataset.entity.includes(wanted);
    }
  });
}
for (const count of document.querySelectorAll("[data-selected-count]")) {
  const form = count.closest("form");
  form.addEventListener("change", () => {
    const chosen = form.querySelectorAll('input[name="event"]:checked').length;
    count.textContent = `· ${chosen} chosen`;
  });
}
