// The dialog page: an extension-origin document framed over the page. It claims its id
// from the service worker, shows what matched (rule, pack or document name, label,
// counts; never the content), and sends the user's choice back. Only trusted clicks and
// keys count; the page around it cannot reach into this frame at all.

const Msg = globalThis.WeirMsg;
const t = (name, subs) => chrome.i18n.getMessage(name, subs) || name;
const $ = (id) => document.getElementById(id);

const id = location.hash.slice(1);
const card = document.querySelector('.card');
const cancel = $('cancel');
const proceed = $('proceed');
const redact = $('redact');
const justification = $('justification');
let view = null;
let busy = false;

document.documentElement.lang = t('@@ui_locale').replace('_', '-');
document.documentElement.dir = t('@@bidi_dir');

async function start() {
  const reply = await chrome.runtime.sendMessage(Msg.dialogGet(id)).catch(() => null);
  if (!reply || !reply.view) {
    document.body.textContent = '';
    return;
  }
  view = reply.view;
  render(view);
  card.hidden = false;
  watchVisibility();
  window.focus();
  cancel.focus();
}

// The frame may receive the focus only after the view is shown (the host frame focuses it
// on load); whenever it arrives with nothing focused inside, Cancel takes it.
window.addEventListener('focus', () => {
  if (view && !card.contains(document.activeElement)) cancel.focus();
});

function render(v) {
  const event = ['paste', 'drop', 'upload', 'clipboard-read'].includes(v.event) ? v.event : 'paste';
  const key = v.kind === 'gpu' ? 'gpu' : event.replace('-', '_');
  card.dataset.verdict = v.verdict;
  card.dataset.kind = v.kind;
  $('title').textContent = t(`title_${v.verdict}_${key}`);
  $('message').textContent = v.failure ? t(`failure_${v.verdict}`) : (v.message || t(`default_${v.verdict}`));
  renderReasons(v);
  if (v.verdict === 'warn') {
    proceed.hidden = false;
    proceed.textContent = t('proceed');
    cancel.textContent = t('cancel');
  } else {
    cancel.textContent = t('close');
  }
  // Issue 24: the content with every finding masked, where the policy allows it. It needs
  // no justification: what a rule acts on does not go in.
  if (v.redact) {
    redact.hidden = false;
    redact.textContent = t('redact');
    const shown = (v.placeholders || []).filter((p) => typeof p === 'string').join(', ');
    $('redact-hint').textContent = t('redact_hint', [shown]);
    $('redact-hint').hidden = false;
  }
  if (v.justification) {
    document.querySelector('.justify').hidden = false;
    $('justification-label').textContent = t('justification_label');
    justification.placeholder = t('justification_placeholder');
    justification.setAttribute('aria-required', 'true');
    proceed.disabled = true;
    justification.addEventListener('input', () => {
      proceed.disabled = justification.value.trim() === '';
      $('justification-error').hidden = true;
    });
  }
  if (v.learn_more) {
    const link = $('learn-more');
    link.href = v.learn_more;
    link.textContent = t('learn_more');
    document.querySelector('.learn').hidden = false;
  }
}

// What matched, never the content. Reasons from files are grouped under each file's
// name ("customers.xlsx, sheet Q3"), at most MAX_FILES files and MAX_PER_FILE reasons a
// file, the rest counted ("and 3 more files"), so a drop of many files stays readable.
const MAX_FILES = 5;
const MAX_PER_FILE = 4;

function renderReasons(v) {
  const list = $('reasons');
  const groups = new Map();   // file name -> reasons, in the order the host told them
  for (const r of v.reasons) {
    if (!r.file) {
      list.appendChild(item(describe(r)));
      continue;
    }
    if (!groups.has(r.file)) groups.set(r.file, []);
    groups.get(r.file).push(r);
  }
  let shown = 0;
  for (const [file, reasons] of groups) {
    if (shown++ === MAX_FILES) {
      const more = groups.size - MAX_FILES;
      list.appendChild(item(more === 1 ? t('reasons_more_file') : t('reasons_more_files', [String(more)]), 'more'));
      break;
    }
    list.appendChild(fileGroup(file, reasons));
  }
  if (v.reasons.length) {
    $('matched-title').textContent = t('matched_title');
    document.querySelector('.matched').hidden = false;
  }
}

function item(text, className) {
  const li = document.createElement('li');
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

// One file: its name, then what matched where in it. A file whose reasons all point
// at one place names it in the heading ("customers.xlsx, sheet Q3").
function fileGroup(file, reasons) {
  const li = document.createElement('li');
  li.className = 'file';
  const places = new Set(reasons.map((r) => r.where || ''));
  const one = places.size === 1 ? [...places][0] : '';
  const name = document.createElement('span');
  name.className = 'file-name';
  name.textContent = one ? t('reason_file_where', [file, one]) : file;
  li.appendChild(name);
  const sub = document.createElement('ul');
  reasons.slice(0, MAX_PER_FILE).forEach((r) => {
    const what = describe(r);
    sub.appendChild(item(!one && r.where ? t('reason_in_place', [r.where, what]) : what));
  });
  if (reasons.length > MAX_PER_FILE) {
    sub.appendChild(item(t('reasons_more', [String(reasons.length - MAX_PER_FILE)]), 'more'));
  }
  li.appendChild(sub);
  return li;
}

function describe(r) {
  return describeWhat(r) + (r.source === 'ocr' ? t('reason_from_image') : '');
}

function describeWhat(r) {
  const count = typeof r.count === 'number' ? t('reason_count', [String(r.count)]) : '';
  const score = typeof r.score === 'number' ? t('reason_score', [String(Math.round(r.score * 100))]) : '';
  const label = r.label ? ` (${r.label})` : '';
  if (r.kind === 'encrypted' || (r.kind === 'policy' && r.rule === 'encrypted')) return t('reason_encrypted');
  switch (r.kind) {
    case 'document': return t('reason_document', [r.name || '?']) + label + score;
    case 'edm': return t('reason_edm', [r.name || '?']) + label + (r.columns ? `: ${r.columns}` : '') + count;
    case 'policy': return t('reason_policy', [r.rule || '?']) + count;
    // Issue 25: text copied out of a source group; how many of its words came along.
    case 'copied': return t('reason_copied', [r.source || r.name || '?', String(r.words || 0)]);
    default: return t('reason_pattern', [r.rule || '?']) + count;
  }
}

// A Proceed the user could not see does not count. A page can cover this frame (a later
// top-layer element, an overlay that lets clicks through, opacity or a filter on the
// holder) and trick the user into clicking where Proceed is. IntersectionObserver v2
// (trackVisibility) tells whether the card is unoccluded and unaltered; a Proceed counts
// only after it has been so for VISIBLE_MS without a break. card.dataset.seen says when
// that holds (the tests wait for it before they click).
const VISIBLE_MS = 500;
let visibleSince = 0;
let seenTimer = 0;
function watchVisibility() {
  const io = new IntersectionObserver((entries) => {
    const visible = entries[entries.length - 1].isVisible === true;
    clearTimeout(seenTimer);
    if (!visible) {
      visibleSince = 0;
      delete card.dataset.seen;
      return;
    }
    if (!visibleSince) visibleSince = performance.now();
    seenTimer = setTimeout(() => { if (visibleSince) card.dataset.seen = 'true'; }, VISIBLE_MS);
  }, { trackVisibility: true, delay: 100, threshold: [1] });
  io.observe(card);
}

function seenLongEnough() {
  return visibleSince !== 0 && performance.now() - visibleSince >= VISIBLE_MS;
}

async function choose(action) {
  if (busy || !view) return;
  if (action === Msg.PROCEED && (view.verdict !== 'warn' || proceed.disabled)) return;
  if (action === Msg.REDACT && !view.redact) return;
  if (action === Msg.PROCEED && !seenLongEnough()) {
    $('justification-error').textContent = t('not_seen');
    $('justification-error').hidden = false;
    document.querySelector('.justify').hidden = false;
    return;
  }
  busy = true;
  const text = justification.value;
  const reply = await chrome.runtime.sendMessage(Msg.dialogDecision(id, action, text)).catch(() => null);
  busy = false;
  if (reply && reply.error === 'justification') {
    $('justification-error').textContent = t('justification_required');
    $('justification-error').hidden = false;
    justification.focus();
  }
}

// Trusted input only: a synthetic click or key event (from anywhere) never decides.
document.addEventListener('click', (e) => {
  if (!e.isTrusted) return;
  const button = e.target.closest('button[data-action]');
  if (button && !button.disabled) choose(button.dataset.action);
}, true);

document.addEventListener('keydown', (e) => {
  if (!e.isTrusted) return;
  if (e.key === 'Escape') {
    e.preventDefault();
    choose(Msg.CANCEL);
  } else if (e.key === 'Tab') {
    trapFocus(e);
  }
}, true);

// Keeps Tab and Shift+Tab inside the dialog.
function trapFocus(e) {
  const focusable = Array.from(card.querySelectorAll('button, textarea, a[href]'))
    .filter((el) => !el.disabled && !el.closest('[hidden]'));
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  const inside = focusable.includes(document.activeElement);
  if (e.shiftKey && (document.activeElement === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

// Clicks on the backdrop do nothing: a choice needs a button.
start();
