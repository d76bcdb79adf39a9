// The live activity feed: post with fetch, receive with EventSource.
//
// The browser's EventSource reconnects by itself and sends Last-Event-ID, and
// ajaxkit resumes from it; when it cannot (the server restarted with an
// in-memory log), it sends one "ajaxkit-reset" event, and the page says so.
// Text from the server is inserted with textContent only.

/** The live stream of the feed's topic (see examples/demo/api.py). */
export const FEED_URL = "/ajax/_live/sse?topic=activity";
/** Where a line is posted. */
export const POST_URL = "/ajax/activity";
/** Lines kept on the page. */
export const KEEP = 50;

/**
 * One feed line.
 * @param {{text: string, at: string}} activity
 */
function feedItem(activity) {
  const item = document.createElement("li");
  const when = document.createElement("time");
  when.dateTime = activity.at;
  when.textContent = new Date(activity.at).toLocaleTimeString();
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = activity.text;
  item.append(when, text);
  return item;
}

/** Wire the feed up. */
export function startFeed() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("feed-form"));
  const input = /** @type {HTMLInputElement} */ (document.getElementById("feed-input"));
  const status = /** @type {HTMLElement} */ (document.getElementById("feed-status"));
  const items = /** @type {HTMLOListElement} */ (document.getElementById("feed-items"));
  const source = new EventSource(FEED_URL);

  source.addEventListener("open", () => {
    status.textContent = "Connected.";
    document.documentElement.dataset.feed = "open";
  });
  source.addEventListener("error", () => {
    status.textContent = "Reconnecting…";
    document.documentElement.dataset.feed = "reconnecting";
  });
  source.addEventListener("activity", (event) => {
    items.prepend(feedItem(JSON.parse(/** @type {MessageEvent} */ (event).data)));
    while (items.children.length > KEEP) items.lastElementChild?.remove();
  });
  source.addEventListener("ajaxkit-reset", () => {
    status.textContent = "The server restarted: lines posted meanwhile may be missing.";
    document.documentElement.dataset.feedReset = "true";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(POST_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ text: input.value }),
    });
    if (response.ok) {
      input.value = "";
    } else {
      const problem = await response.json();
      status.textContent = problem.detail ?? problem.title ?? "Posting failed.";
    }
  });
}

startFeed();
