// Issue 25: what the user copies, cuts or drags out of this page, for the service worker,
// which sends it to the host only when the page's origin (the browser's word, not the
// page's) is in a source group of the policy. Trusted events only: a page that dispatches
// its own copy event puts nothing on the clipboard. The copy is never held up: the text is
// read during the event and the message sent without waiting for an answer.
(function () {
  'use strict';
  if (globalThis.WeirCopy) return;
  const Msg = globalThis.WeirMsg;

  // The host fingerprints at most 4 MiB of a copy: no more crosses to the service worker.
  const MAX_TEXT = 4 * 1024 * 1024;

  function send(event, text) {
    if (typeof text !== 'string' || !text.trim()) return;
    if (text.length > MAX_TEXT) text = text.slice(0, MAX_TEXT);
    try {
      chrome.runtime.sendMessage(Msg.copy(event, text)).catch(() => {});
    } catch {
      // The extension was reloaded under this page: nothing to tell.
    }
  }

  // The selected text as the browser copies it: the selection of a focused text field
  // (which the document's selection does not show), else the document's.
  function selectedText() {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    // The browser copies nothing out of a password field: neither does Weir.
    if (el instanceof HTMLInputElement && el.type === 'password') return '';
    if (el && (el instanceof HTMLTextAreaElement || el instanceof HTMLInputElement)) {
      try {
        const { selectionStart: a, selectionEnd: b } = el;
        if (typeof a === 'number' && typeof b === 'number' && b > a) return el.value.slice(a, b);
      } catch {
        // An input type without a selection (number, email): the document's selection.
      }
    }
    const sel = window.getSelection();
    return sel ? sel.toString() : '';
  }

  function onCopy(e) {
    if (!e.isTrusted) return;
    send(e.type === 'cut' ? 'cut' : 'copy', selectedText());
  }

  // A drag of a selection carries its text; during dragstart the data can be read.
  function onDragStart(e) {
    if (!e.isTrusted) return;
    let text = '';
    try {
      text = e.dataTransfer ? e.dataTransfer.getData('text/plain') : '';
    } catch {
      text = '';
    }
    send('drag', text || selectedText());
  }

  function listen() {
    window.addEventListener('copy', onCopy, true);
    window.addEventListener('cut', onCopy, true);
    window.addEventListener('dragstart', onDragStart, true);
  }
  listen();

  // The MAIN world's report of text the page itself put on the clipboard.
  function page(text) {
    send('page-copy', text);
  }

  globalThis.WeirCopy = Object.freeze({ listen, page });
})();
