// Puts allowed content where the user meant it, the way the page would have got it: the
// caret is saved when the trusted event arrives and restored after any dialog; then an
// equivalent paste (or drop) event is dispatched at the original target so editors run
// their own handling; if none handled it, execCommand('insertText') inserts the text, which
// keeps the browser's undo stack. Exactly once.
(function () {
  'use strict';
  const Capture = globalThis.WeirCapture;

  function isTextControl(el) {
    if (el instanceof HTMLTextAreaElement) return true;
    return el instanceof HTMLInputElement && /^(text|search|url|tel|email|password|)$/.test(el.type);
  }

  function saveCaret(target) {
    const doc = target.ownerDocument || document;
    const active = deepActive(doc);
    if (isTextControl(active)) {
      return { el: active, start: active.selectionStart, end: active.selectionEnd, dir: active.selectionDirection };
    }
    const sel = doc.getSelection();
    const range = sel && sel.rangeCount ? sel.getRangeAt(0).cloneRange() : null;
    return { el: active, range };
  }

  function deepActive(doc) {
    let el = doc.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el || doc.body;
  }

  function caretMoved(saved) {
    const doc = saved.el.ownerDocument;
    if (deepActive(doc) !== saved.el) return true;
    if (isTextControl(saved.el)) return saved.el.selectionStart !== saved.start || saved.el.selectionEnd !== saved.end;
    const sel = doc.getSelection();
    if (!saved.range || !sel.rangeCount) return !!saved.range;
    const now = sel.getRangeAt(0);
    return now.startContainer !== saved.range.startContainer || now.startOffset !== saved.range.startOffset ||
      now.endContainer !== saved.range.endContainer || now.endOffset !== saved.range.endOffset;
  }

  // Restores focus and selection; resolves once editors that track the DOM selection
  // (ProseMirror, CodeMirror) have seen the selectionchange.
  async function restoreCaret(saved) {
    if (!saved.el || !saved.el.isConnected || !caretMoved(saved)) return;
    const doc = saved.el.ownerDocument;
    const changed = new Promise((resolve) => {
      doc.addEventListener('selectionchange', resolve, { once: true });
      setTimeout(resolve, 50);
    });
    saved.el.focus({ preventScroll: true });
    if (isTextControl(saved.el)) {
      saved.el.setSelectionRange(saved.start, saved.end, saved.dir);
    } else if (saved.range) {
      const sel = doc.getSelection();
      sel.removeAllRanges();
      sel.addRange(saved.range);
    }
    await changed;
  }

  function liveTarget(target, saved) {
    if (target && target.isConnected) return target;
    return saved.el && saved.el.isConnected ? saved.el : null;
  }

  async function deliverPaste(target, saved, snap) {
    await restoreCaret(saved);
    const el = liveTarget(target, saved);
    if (!el) return 'gone';
    const event = new ClipboardEvent('paste', {
      bubbles: true, cancelable: true, composed: true, clipboardData: Capture.rebuild(snap),
    });
    el.dispatchEvent(event);
    if (event.defaultPrevented) return 'handled';
    if (snap.text && el.ownerDocument.execCommand('insertText', false, snap.text)) return 'inserted';
    return 'none';
  }

  async function deliverDrop(target, saved, snap, point) {
    const el = liveTarget(target, saved);
    if (!el) return 'gone';
    const event = new DragEvent('drop', Object.assign({
      bubbles: true, cancelable: true, composed: true, dataTransfer: Capture.rebuild(snap),
    }, point));
    el.dispatchEvent(event);
    if (event.defaultPrevented) return 'handled';
    if (!snap.text || !isEditable(el)) return 'none';
    placeCaretAt(el, point);
    return el.ownerDocument.execCommand('insertText', false, snap.text) ? 'inserted' : 'none';
  }

  function isEditable(el) {
    return isTextControl(el) || (el.isContentEditable === true);
  }

  // Where a native drop would have inserted: the caret position under the pointer.
  function placeCaretAt(el, point) {
    const doc = el.ownerDocument;
    el.focus({ preventScroll: true });
    const pos = doc.caretPositionFromPoint ? doc.caretPositionFromPoint(point.clientX, point.clientY) : null;
    if (isTextControl(el)) {
      const at = pos && pos.offsetNode === el ? pos.offset : el.value.length;
      el.setSelectionRange(at, at);
    } else if (pos) {
      const range = doc.createRange();
      range.setStart(pos.offsetNode, pos.offset);
      const sel = doc.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
  }

  globalThis.WeirInsert = Object.freeze({ saveCaret, restoreCaret, deliverPaste, deliverDrop });
})();
