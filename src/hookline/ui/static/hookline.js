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

// Live updates: the page asks the server for itself every few seconds (a 304 while nothing
// changed, thanks to its ETag) and swaps in the regions marked data-live that did change.
// A region holding the keyboard focus waits for the next round, so focus is never lost.
const liveInterval = Number(document.body.dataset.liveIntervalMs || 0);
const liveToggle = document.querySelector("[data-live-toggle]");
if (liveInterval > 0 && liveToggle) {
  const liveState = document.querySelector("[data-live-state]");
  let paused = window.localStorage.getItem("hookline-live") === "paused";
  let etag = null;
  const show = () => {
    liveToggle.textContent = paused ? "Resume live updates" : "Pause live updates";
    liveState.textContent = paused ? "Live updates paused." : "Live updates on.";
  };
  liveToggle.hidden = false;
  liveState.hidden = false;
  show();
  liveToggle.addEventListener("click", () => {
    paused = !paused;
    window.localStorage.setItem("hookline-live", paused ? "paused" : "on");
    show();
  });
  const refresh = async () => {
    if (paused || document.hidden) {
      return;
    }
    let answer;
    try {
      answer = await fetch(window.location.href, {
        headers: etag ? { "If-None-Match": etag } : {},
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      return; // the server is restarting or the network is away: try again next round
    }
    if (answer.status !== 200 || !(answer.headers.get("content-type") || "").startsWith("text/html")) {
      return;
    }
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    let waiting = false;
    for (const region of document.querySelectorAll("[data-live][id]")) {
      const next = fresh.getElementById(region.id);
      if (!next || next.innerHTML === region.innerHTML) {
        continue;
      }
      if (region.contains(document.activeElement)) {
        waiting = true;
        continue;
      }
      region.replaceWith(document.importNode(next, true));
    }
    if (!waiting) {
      etag = answer.headers.get("ETag");
    }
  };
  window.setInterval(refresh, liveInterval);
}
