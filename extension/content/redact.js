// Issue 24: the content of a paste, drop or clipboard read with what Weir found masked.
// The host tells where each finding is, as [start, length, placeholder] in UTF-16 code
// units of exactly the text and HTML it was sent (placeholder -1: a further piece of the
// match before, removed; in HTML a match that crosses tags comes in pieces, so the tags
// stay); never the content. This file only cuts strings; the insertion is the same as
// for any allowed paste (insert.js). Pure functions, no DOM: tests load it in node too.
(function () {
  'use strict';

  const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  // The pieces, checked: whole numbers, in order, disjoint, inside s, and never cutting a
  // surrogate pair; null when any is not (the host computed them on this very string, so
  // that means the string changed: nothing is inserted).
  function checked(s, pieces, placeholders) {
    if (!Array.isArray(pieces)) return null;
    let at = 0;
    for (const p of pieces) {
      if (!Array.isArray(p) || p.length !== 3 || !p.every(Number.isInteger)) return null;
      const [start, length, kind] = p;
      if (start < at || length < 0 || start + length > s.length) return null;
      if (kind < -1 || kind >= placeholders.length) return null;
      if (splitsPair(s, start) || splitsPair(s, start + length)) return null;
      at = start + length;
    }
    return pieces;
  }

  function splitsPair(s, i) {
    if (i <= 0 || i >= s.length) return false;
    const before = s.charCodeAt(i - 1);
    const after = s.charCodeAt(i);
    return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
  }

  // s with each piece replaced by its placeholder (HTML-escaped in HTML, so that one in an
  // attribute cannot end it), or null when the pieces do not fit s.
  function maskString(s, pieces, placeholders, html) {
    if (!checked(s, pieces, placeholders)) return null;
    let out = '';
    let at = 0;
    for (const [start, length, kind] of pieces) {
      out += s.slice(at, start);
      if (kind >= 0) {
        const text = String(placeholders[kind]);
        out += html ? text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]) : text;
      }
      at = start + length;
    }
    return out + s.slice(at);
  }

  // A snapshot (capture.js) masked: its text and HTML, and nothing else of the clipboard's
  // strings (an editor's own format, RTF: unmasked copies of the same content). Files go
  // as they are; the host offered this only because they hold nothing to mask. null when
  // the spans do not fit.
  function maskSnapshot(snap, redaction) {
    const placeholders = Array.isArray(redaction.placeholders) ? redaction.placeholders : [];
    const text = snap.text ? maskString(snap.text, redaction.text || [], placeholders, false) : '';
    const html = snap.html ? maskString(snap.html, redaction.html || [], placeholders, true) : '';
    if (text === null || html === null) return null;
    const strings = [];
    if (text) strings.push(['text/plain', text]);
    if (html) strings.push(['text/html', html]);
    return { text, html, strings, files: snap.files.slice(), folders: [] };
  }

  // How many matches were masked and what they became, for the notice.
  function summary(redaction) {
    const count = (pieces) => (Array.isArray(pieces) ? pieces.filter((p) => Array.isArray(p) && p[2] >= 0).length : 0);
    const placeholders = Array.isArray(redaction.placeholders) ? redaction.placeholders.map(String) : [];
    return { count: Math.max(count(redaction.text), count(redaction.html)), kinds: placeholders };
  }

  globalThis.WeirRedact = Object.freeze({ maskString, maskSnapshot, summary });
})();
