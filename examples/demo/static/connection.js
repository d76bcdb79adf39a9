// The page's one ajaxkit client, shared by every part of the page.
//
// Sharing one client means one EventSource for every live topic on the page
// (the activity feed, the chat and the people table), resumed from one cursor.
// Each subscription hears that connection's state through `onStatus`.

import { createClient } from "/ajax/ajaxkit.js";

/** The client every module of the page uses (base: the mount ajaxkit.js came from). */
export const api = createClient();

/**
 * The live log's current cursor for `topic`: subscribe from it after loading
 * what is already stored, so that nothing published in between is missed.
 * @param {string} topic @returns {Promise<string>}
 */
export async function headCursor(topic) {
  const answer = /** @type {{cursor: string}} */ (await api.get("_live/poll", { params: { topic } }));
  return answer.cursor;
}
