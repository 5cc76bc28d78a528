// Open dialogs, keyed by an unguessable id. A content script hosts the dialog's iframe and
// waits; the dialog page (extension origin) claims the id once, shows the view, and sends
// the user's choice here. Only the service worker turns a choice into "proceed", so nothing
// in the page, not even the content script's own frame, can approve content.

const MAX_OPEN = 64;

export class Dialogs {
  constructor() {
    this.open = new Map();
  }

  // view: what the dialog shows (never content). ctx: who may wait on it and what a
  // decision must do ({tabId, frameId, audit, justification, verdict, onDecision}).
  create(view, ctx) {
    if (this.open.size >= MAX_OPEN) {
      const oldest = this.open.keys().next().value;
      this.settle(oldest, 'cancel');
    }
    const id = crypto.randomUUID();
    let resolve;
    const result = new Promise((r) => { resolve = r; });
    this.open.set(id, Object.assign({ id, view, claimant: null, resolve, result, settled: false }, ctx));
    return id;
  }

  // The content script that asked waits here for the final action.
  wait(id, sender) {
    const entry = this.open.get(id);
    if (!entry || !sameFrame(entry, sender)) return Promise.resolve({ action: 'cancel' });
    return entry.result.then((action) => ({ action }));
  }

  // The first dialog page to load with this id owns it; a second document (a copy the page
  // framed itself, or a reload) gets nothing.
  claim(id, sender) {
    const entry = this.open.get(id);
    if (!entry || entry.settled || !isDialogPage(sender) || (sender.tab && sender.tab.id !== entry.tabId)) return null;
    const who = documentOf(sender);
    if (entry.claimant && entry.claimant !== who) return null;
    entry.claimant = who;
    return entry;
  }

  owned(id, sender) {
    const entry = this.open.get(id);
    if (!entry || entry.settled || !isDialogPage(sender) || entry.claimant !== documentOf(sender)) return null;
    return entry;
  }

  setHostFrame(id, frameId) {
    const entry = this.open.get(id);
    if (entry) entry.hostFrameId = frameId;
  }

  abort(id, sender) {
    const entry = this.open.get(id);
    if (entry && sameFrame(entry, sender)) this.settle(id, 'cancel');
  }

  settle(id, action) {
    const entry = this.open.get(id);
    if (!entry || entry.settled) return;
    entry.settled = true;
    this.open.delete(id);
    entry.resolve(action);
  }

  // A tab that navigates or closes leaves its dialogs unanswered: cancel them.
  dropTab(tabId) {
    for (const [id, entry] of this.open) if (entry.tabId === tabId) this.settle(id, 'cancel');
  }
}

// The frame that asked, or the frame that hosts the dialog for it.
function sameFrame(entry, sender) {
  return sender.tab && sender.tab.id === entry.tabId &&
    (sender.frameId === entry.frameId || sender.frameId === entry.hostFrameId);
}

function isDialogPage(sender) {
  return typeof sender.url === 'string' && sender.url.startsWith(chrome.runtime.getURL('dialog/dialog.html'));
}

function documentOf(sender) {
  return sender.documentId || `${sender.tab ? sender.tab.id : -1}/${sender.frameId}`;
}
