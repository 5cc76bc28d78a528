// Issue 25: text copied, cut or dragged out of a page of a source origin group, and text
// such a page put on the clipboard itself, goes to the host, which remembers its
// fingerprints (never the text) so a later paste elsewhere can be checked against them.
//
// The origin is the browser's (the message's sender), never the page's word; the host
// checks it against the policy again. Copies from pages outside every source group, or
// while the host does not serve "copy" (an older host), stay here and go nowhere. A page
// that copies faster than a person could is cut off here as in the host.

import { originMatches } from './models.js';
import { senderOrigin } from './guard.js';

const Msg = globalThis.WeirMsg;
// Of a copy's text the host fingerprints at most 4 MiB; more is not sent.
const MAX_TEXT = 4 * 1024 * 1024;
// As the host's bound (copies/copy-book.h): a burst, then one a second.
const RATE_BURST = 60;
const RATE_PER_MS = 1 / 1000;
const MAX_ORIGINS = 1024;

export class Copies {
  constructor({ host }) {
    this.host = host;
    this.origins = [];      // [{match: [pattern], source?}], in the policy's order
    this.served = false;    // the host lists "copy" among its requests
    this.buckets = new Map();
    this.sent = 0;
  }

  // From every hello: which groups are sources, and whether the host takes copies at all.
  configure(reply) {
    const section = reply && reply.policy && reply.policy.copies;
    const origins = section && Array.isArray(section.origins) ? section.origins : [];
    this.origins = origins.filter((g) => g && Array.isArray(g.match))
      .map((g) => ({ match: g.match.filter((m) => typeof m === 'string'),
                     source: typeof g.source === 'string' ? g.source : null }));
    this.served = Array.isArray(reply && reply.requests) && reply.requests.includes('copy');
  }

  // The source group of origin: the first group that matches decides, as in the host.
  sourceOf(origin) {
    for (const group of this.origins) {
      if (group.match.some((m) => originMatches(m, origin))) return group.source;
    }
    return null;
  }

  // msg: Msg.copy(event, text) from a content script. Answers at once; the host is told
  // in the background (the copy itself never waits for Weir).
  record(msg, sender) {
    if (!this.served || !Msg.COPY_EVENTS.includes(msg.event) || typeof msg.text !== 'string' || !msg.text.trim()) {
      return {};
    }
    const origin = senderOrigin(sender);
    if (!this.sourceOf(origin) || !this.allow(origin)) return {};
    const body = { type: 'copy', event: msg.event, origin, url: String(sender.url || ''),
                   text: msg.text.slice(0, MAX_TEXT) };
    this.sent++;
    this.host.request(body).catch(() => {});
    return {};
  }

  allow(origin) {
    const now = Date.now();
    let b = this.buckets.get(origin);
    if (!b) {
      if (this.buckets.size >= MAX_ORIGINS) this.buckets.clear();
      b = { tokens: RATE_BURST, last: now };
      this.buckets.set(origin, b);
    }
    b.tokens = Math.min(RATE_BURST, b.tokens + (now - b.last) * RATE_PER_MS);
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  snapshot() {
    return { served: this.served, sources: this.origins.filter((g) => g.source).length, sent: this.sent };
  }
}
