// Issue 22: reports a page can cause at will (a model file fetched in a loop, a worker the
// GPU guard cannot reach, spawned in a loop) are limited per origin and kind before they
// reach the host: the first REPORT_BURST of a minute go out one by one, the rest are
// counted and told in one report ("N more like this in the last minute") when the minute
// ends. The host applies the same limit to what it records, so an extension that is not
// this one cannot flood the log either.

export const REPORT_BURST = 50;
export const REPORT_WINDOW_MS = 60000;
const BUCKETS_MAX = 256;             // past this, new origins of a kind share one count

export class ReportLimiter {
  // send(body): sends a protocol "report" request.
  constructor(send, { burst = REPORT_BURST, windowMs = REPORT_WINDOW_MS } = {}) {
    this.send = send;
    this.burst = burst;
    this.windowMs = windowMs;
    this.buckets = new Map();        // "event origin" -> {start, sent, held, body}
    this.heldTotal = 0;              // since the service worker started, for status()
  }

  snapshot() {
    return { held: this.heldTotal, origins: this.buckets.size };
  }

  // Sends body now, or counts it for the minute's summary. True when it went out.
  offer(body) {
    let key = `${body.event} ${body.origin}`;
    if (!this.buckets.has(key) && this.buckets.size >= BUCKETS_MAX) key = `${body.event} *`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { start: Date.now(), sent: 0, held: 0, body };
      this.buckets.set(key, bucket);
      setTimeout(() => this.close(key), this.windowMs);
    }
    if (bucket.sent < this.burst) {
      bucket.sent++;
      this.send(body);
      return true;
    }
    bucket.held++;
    this.heldTotal++;
    return false;
  }

  // The minute is over: one report for what was held, and the origin starts afresh.
  close(key) {
    const bucket = this.buckets.get(key);
    this.buckets.delete(key);
    if (!bucket || bucket.held === 0) return;
    const { event, origin, verdict } = bucket.body;
    this.send({ type: 'report', event, origin: key.endsWith(' *') ? '*' : origin, verdict,
                detail: `${bucket.held} more like this in the last minute, not sent one by one` });
  }
}
