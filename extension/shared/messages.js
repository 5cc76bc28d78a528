// Every message between Weir's scripts, written once. Loaded as a classic script by the
// content scripts and the dialog page, and as a module (for its side effect) by the
// service worker, so it sets one frozen global instead of exporting.
//
// Content script -> service worker (chrome.runtime.sendMessage; scan and gpu also go as
// {rid, body} over a port named GUARD_PORT, answered {rid, reply}):
//   scan          {type, event, text?, html?, files?: [{name, mime, size, data?}]}
//                 -> Outcome: {action: "allow" | "dialog" | "block" | "redact", dialog?, hosted?,
//                    notice?, redaction?}
//                 (hosted: the dialog shows in the top frame; just wait for it. redaction,
//                 issue 24: {placeholders, text?, html?} spans to mask; with "redact" the
//                 content goes in masked at once, with "dialog" when the user picks it)
//   gpu           {type, api}                          (issue 7; same Outcome)
//   copy          {type, event, text}                  -> {} (issue 25: text copied, cut or
//                 dragged out of the page, or put on the clipboard by the page: "page-copy")
//   gpu-policy    {type}                               -> {verdict: "allow" | "warn" | "block"}
//                 (issue 20: the policy's WebGPU verdict for the frame's origin, asked
//                 without a dialog or an audit record, for shared and service workers)
//   upload-info   {type}                               -> {chunk_bytes, max_bytes} | {} (no uploads)
//   upload-chunk  {type, upload?, size, offset, data}  -> {upload, received} | {error, upload?}
//                 A file too large for one message, in chunks; the first (offset 0) has no
//                 upload id and gets one; a scan's file entry then names it: {name, mime,
//                 size, upload} (docs/protocol.md).
//   dialog-wait   {type, dialog}                       -> {action: "proceed" | "cancel" | "redact"}
//   dialog-abort  {type, dialog}                       (the page removed or navigated the dialog)
// Service worker -> top frame's content script (chrome.tabs.sendMessage, frameId 0):
//   dialog-show   {type, dialog}                       -> {shown: true}
//                 A paste in a subframe gets its dialog in the top frame, where it is
//                 large enough to read and a small or hidden frame cannot hide it.
// Dialog page -> service worker:
//   dialog-get      {type, dialog}                     -> DialogView | {error}
//   dialog-decision {type, dialog, action, justification?} -> {ok} | {error}
// MAIN world <-> isolated world (the private MessagePort, structured clone):
//   request {kind: "scan" | "gpu", rid, ...fields of the scan/gpu message}
//           {kind: "copy", rid, text}  (issue 25: the page put text on the clipboard; no reply)
//   reply   {rid, allowed: boolean, text?}   (text: the clipboard text masked, issue 24)
(function () {
  'use strict';
  const Msg = Object.freeze({
    SCAN: 'scan',
    GPU: 'gpu',
    COPY: 'copy',
    UPLOAD_INFO: 'upload-info',
    UPLOAD_CHUNK: 'upload-chunk',
    DIALOG_WAIT: 'dialog-wait',
    DIALOG_ABORT: 'dialog-abort',
    DIALOG_SHOW: 'dialog-show',
    DIALOG_GET: 'dialog-get',
    DIALOG_DECISION: 'dialog-decision',
    // The content script's port for scan and gpu checks (runtime.connect name)
    GUARD_PORT: 'weir-guard',

    // Outcome.action values
    ALLOW: 'allow',
    DIALOG: 'dialog',
    BLOCK: 'block',
    // Issue 24: the content goes in with what was found masked (an Outcome action too)
    REDACT: 'redact',
    // Decision actions (also the host's decision.action values)
    PROCEED: 'proceed',
    CANCEL: 'cancel',

    // Scan events of protocol 1
    EVENTS: Object.freeze(['paste', 'drop', 'upload', 'clipboard-read']),
    // Kinds the MAIN world may ask for over the private port
    MAIN_KINDS: Object.freeze(['scan', 'gpu', 'copy']),
    // Issue 25: the copy events of protocol 1's copy request
    COPY_EVENTS: Object.freeze(['copy', 'cut', 'drag', 'page-copy']),
    // Issue 7: a report the MAIN world's GPU guard asks to send (gpu request with api "report")
    GPU_REPORT: 'gpu-report',
    GPU_REPORTS: Object.freeze(['unguarded']),
    // Issue 20: the policy's WebGPU verdict for a frame, without asking the user
    GPU_POLICY: 'gpu-policy',

    scan(event, text, html, files) {
      const msg = { type: 'scan', event };
      if (text) msg.text = text;
      if (html) msg.html = html;
      if (files && files.length) msg.files = files;
      return msg;
    },
    copy(event, text) {
      return { type: 'copy', event, text };
    },
    uploadInfo() {
      return { type: 'upload-info' };
    },
    uploadChunk(upload, size, offset, data) {
      const msg = { type: 'upload-chunk', size, offset, data };
      if (upload) msg.upload = upload;
      return msg;
    },
    gpu(api) {
      return { type: 'gpu', api };
    },
    gpuPolicy() {
      return { type: 'gpu-policy' };
    },
    gpuReport(report, detail) {
      return { type: 'gpu-report', report, detail };
    },
    dialogWait(dialog) {
      return { type: 'dialog-wait', dialog };
    },
    dialogShow(dialog) {
      return { type: 'dialog-show', dialog };
    },
    dialogAbort(dialog) {
      return { type: 'dialog-abort', dialog };
    },
    dialogGet(dialog) {
      return { type: 'dialog-get', dialog };
    },
    dialogDecision(dialog, action, justification) {
      return { type: 'dialog-decision', dialog, action, justification: justification || '' };
    },
    mainRequest(kind, rid, fields) {
      return Object.assign({}, fields, { kind, rid });
    },
    // text (and html): what a clipboard read let through masked gets instead (issue 24).
    mainReply(rid, allowed, text, html) {
      const reply = { rid, allowed: allowed === true };
      if (reply.allowed && typeof text === 'string') reply.text = text;
      if (reply.allowed && typeof text === 'string' && typeof html === 'string') reply.html = html;
      return reply;
    },
  });
  Object.defineProperty(globalThis, 'WeirMsg', { value: Msg, enumerable: false });
})();
