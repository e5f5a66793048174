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
