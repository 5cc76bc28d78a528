// Hosts the dialog: an iframe of the extension's own origin (dialog/dialog.html, a web
// accessible resource) inside a closed shadow root, covering the viewport. The page can
// neither read nor click into it; it can only remove or navigate it, which cancels.
(function () {
  'use strict';
  const Msg = globalThis.WeirMsg;
  const WATCH_MS = 250;
  const REMOVE_DELAY_MS = 300;

  // The frame that asked and the hosting frame both learn the outcome here.
  async function waitDialog(id) {
    try {
      const reply = await chrome.runtime.sendMessage(Msg.dialogWait(id));
      if (reply && (reply.action === Msg.PROCEED || reply.action === Msg.REDACT)) return reply.action;
      return Msg.CANCEL;
    } catch (e) {
      return Msg.CANCEL;
    }
  }

  async function showDialog(id) {
    const holder = document.createElement('div');
    const root = holder.attachShadow({ mode: 'closed' });
    const frame = document.createElement('iframe');
    frame.src = chrome.runtime.getURL('dialog/dialog.html') + '#' + id;
    frame.setAttribute('allowtransparency', 'true');
    frame.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;border:0;margin:0;padding:0;' +
      'z-index:2147483647;background:transparent;color-scheme:light dark;display:block;';
    holder.style.cssText = 'all:initial;';
    root.appendChild(frame);

    let loads = 0;
    const takeFocus = () => {
      window.focus();          // focus may sit in the subframe the paste came from
      frame.focus();
    };
    frame.addEventListener('load', () => {
      loads++;
      if (loads === 1) takeFocus();
    });
    (document.body || document.documentElement).appendChild(holder);
    // In the top layer, above every z-index of the page (a popover, so the page stays
    // usable behind it as before). A page's later modal or popover can still rise above
    // it; the dialog then refuses a Proceed the user could not see (dialog.js).
    holder.popover = 'manual';
    const raise = () => {
      try {
        if (holder.isConnected && !holder.matches(':popover-open')) holder.showPopover();
      } catch (e) { /* no popover support: the z-index stands */ }
    };
    raise();
    takeFocus();

    // A page that removes or re-navigates the dialog gets a cancel, never a hang.
    const watch = setInterval(() => {
      if (!holder.isConnected || loads > 1) chrome.runtime.sendMessage(Msg.dialogAbort(id)).catch(() => {});
      else raise();  // a page that hid the popover
    }, WATCH_MS);
    try {
      return await waitDialog(id);
    } finally {
      clearInterval(watch);
      // Hidden at once, removed a moment later: destroying the frame while the browser still
      // owes the click that closed it its input acknowledgement was seen to leave that
      // acknowledgement (and automation waiting on it) hanging.
      frame.style.visibility = 'hidden';
      frame.style.pointerEvents = 'none';
      setTimeout(() => holder.remove(), REMOVE_DELAY_MS);
    }
  }

  // A short note for outcomes the user should know of without having to act: content let
  // through because Weir could not check it (fail mode "allow").
  // Issue 26: a status shown while a slow check runs (OCR of an image), until the returned
  // function removes it (at the latest after a minute). Non-modal: it takes no focus.
  function showProgress(text) {
    const holder = document.createElement('div');
    const root = holder.attachShadow({ mode: 'closed' });
    const note = document.createElement('div');
    note.setAttribute('role', 'status');
    note.setAttribute('aria-live', 'polite');
    note.dataset.weirProgress = '';
    note.textContent = text;
    note.style.cssText = 'position:fixed;right:16px;bottom:16px;max-width:360px;z-index:2147483647;' +
      'font:14px/1.4 system-ui,sans-serif;padding:10px 14px;border-radius:8px;' +
      'background:#1f3a5f;color:#fff;box-shadow:0 2px 12px rgba(0,0,0,.3);pointer-events:none;';
    root.appendChild(note);
    holder.dataset.weirProgress = '';
    (document.body || document.documentElement).appendChild(holder);
    const timer = setTimeout(() => holder.remove(), 60000);
    return () => {
      clearTimeout(timer);
      holder.remove();
    };
  }

  function showNotice(text) {
    const holder = document.createElement('div');
    const root = holder.attachShadow({ mode: 'closed' });
    const note = document.createElement('div');
    note.setAttribute('role', 'status');
    note.textContent = text;
    note.style.cssText = 'position:fixed;right:16px;bottom:16px;max-width:360px;z-index:2147483647;' +
      'font:14px/1.4 system-ui,sans-serif;padding:10px 14px;border-radius:8px;' +
      'background:#3c2f00;color:#fff;box-shadow:0 2px 12px rgba(0,0,0,.3);';
    root.appendChild(note);
    (document.body || document.documentElement).appendChild(holder);
    setTimeout(() => holder.remove(), 6000);
  }

  // The service worker asks the top frame to host a subframe's dialog.
  if (window === window.top) {
    chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
      if (sender.id !== chrome.runtime.id || sender.tab || !msg || msg.type !== Msg.DIALOG_SHOW ||
          typeof msg.dialog !== 'string') return false;
      showDialog(msg.dialog);
      sendResponse({ shown: true });
      return false;
    });
  }

  globalThis.WeirDialogHost = Object.freeze({ showDialog, waitDialog, showNotice, showProgress });
})();
