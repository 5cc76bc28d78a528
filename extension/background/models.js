// Model downloads (issue 7): the layer behind the WebGPU guard, which also sees what the
// guard cannot reach (shared and service workers, workers a CSP kept plain, pages that
// never ask for an adapter but fetch weights for WebAssembly). The policy's
// model_downloads section (from the host's hello) names URL patterns (regular
// expressions), a default verdict (allow or block), per-origin verdicts, and whether hits
// are audited.
//
// Two browser mechanisms, one job each:
// - declarativeNetRequest dynamic rules block. The browser applies them itself, before the
//   request leaves, whether this service worker is running or not, and they persist across
//   restarts; a webRequest listener would first have to wake the worker and load the
//   policy, and unpacked MV3 extensions cannot block with webRequest at all.
// - webRequest (observe only) sees every request, including those the rules blocked, and
//   reports each hit to the host (event "model-download"), which audits it.
// The page's origin is the request's initiator; a request without one (a typed URL, a
// download from the address bar) gets the default verdict.

const RULE_ID_BASE = 7000;          // dynamic rule ids this module owns: 7000 and up
const MAX_RULES = 900;              // Chromium allows 1000 regex rules; leave room
const SEEN_MAX = 512;
const STORE_KEY = 'weirModelPolicy';
// A path that spells out an unreserved character (a letter, a digit, - . _ ~) in
// percent-encoding: servers decode it to the same file (model%2Esafetensors is
// model.safetensors, %72esolve is resolve), and no page needs to send it so. Where model
// downloads are blocked, such requests are blocked too; the patterns themselves are
// matched against the decoded URL as well.
export const ENCODED_UNRESERVED = '^[^?#]*%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])';

export class ModelDownloads {
  // report(body): sends a protocol "report" request to the host (queued while it is down).
  constructor({ report }) {
    this.report = report;
    this.policy = null;              // {verdict, audit, patterns: [RegExp], sources, origins}
    this.seen = new Set();           // request ids already reported
    this.rules = null;               // how many blocking rules are installed, once known
    this.ready = chrome.storage.local.get(STORE_KEY).then((v) => {
      if (!this.policy && v[STORE_KEY]) this.policy = compile(v[STORE_KEY]);
    }, () => {});
  }

  // Listeners go on at the service worker's top level, so a request wakes it.
  listen() {
    const filter = { urls: ['<all_urls>'] };
    chrome.webRequest.onBeforeRequest.addListener((d) => { this.observe(d, null); }, filter);
    chrome.webRequest.onErrorOccurred.addListener((d) => {
      if (d.error === 'net::ERR_BLOCKED_BY_CLIENT') this.observe(d, 'block');
    }, filter);
  }

  // The hello's model_downloads section: remember it and turn it into blocking rules.
  async configure(section) {
    const policy = compile(section);
    if (!policy) return;
    this.policy = policy;
    await chrome.storage.local.set({ [STORE_KEY]: section }).catch(() => {});
    await this.installRules(policy).catch((e) => console.error('weir: model download rules:', e));
  }

  async observe(details, knownVerdict) {
    if (details.initiator && details.initiator.startsWith('chrome-extension://')) return;
    await this.ready;
    const policy = this.policy;
    if (!policy || !isModelUrl(policy, details.url)) return;
    if (this.seen.has(details.requestId)) return;
    this.remember(details.requestId);
    const origin = details.initiator || 'null';
    const verdict = knownVerdict || decide(policy, origin);
    if (!policy.audit && verdict !== 'block') return;
    this.report({ type: 'report', event: 'model-download', origin, verdict,
                  detail: `${details.method} ${details.type} ${withoutQuery(details.url)}` });
  }

  remember(id) {
    this.seen.add(id);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value);
  }

  // One rule per pattern and origin group, in the policy's order (the first group that
  // matches decides, so earlier groups get higher priority), then the default.
  async installRules(policy) {
    const rules = [];
    const verdicts = policy.origins.map((g) => g.verdict || policy.verdict);
    const anyBlock = policy.verdict === 'block' || verdicts.includes('block');
    if (anyBlock) {
      const types = Object.values(chrome.declarativeNetRequest.ResourceType);
      const levels = policy.origins.map((g, i) => ({ domains: domainsOf(g.match), verdict: verdicts[i] }));
      levels.push({ domains: null, verdict: policy.verdict });
      levels.forEach((level, i) => {
        if (level.domains && level.domains.length === 0) return;     // matches no web origin
        for (const source of policy.sources.concat(ENCODED_UNRESERVED)) {
          const condition = { regexFilter: source, isUrlFilterCaseSensitive: false, resourceTypes: types };
          if (level.domains) condition.initiatorDomains = level.domains;
          rules.push({ id: RULE_ID_BASE + rules.length, priority: levels.length - i,
                       action: { type: level.verdict === 'block' ? 'block' : 'allow' }, condition });
        }
      });
    }
    const old = await chrome.declarativeNetRequest.getDynamicRules();
    const removeRuleIds = old.filter((r) => r.id >= RULE_ID_BASE).map((r) => r.id);
    const addRules = [];
    for (const rule of rules.slice(0, MAX_RULES)) {
      const ok = await chrome.declarativeNetRequest.isRegexSupported({ regex: rule.condition.regexFilter,
                                                                       isCaseSensitive: false });
      if (ok.isSupported) addRules.push(rule);
      else console.error('weir: the browser cannot match model download pattern', rule.condition.regexFilter, ok.reason);
    }
    await chrome.declarativeNetRequest.updateDynamicRules({ removeRuleIds, addRules });
    this.rules = addRules.length;
  }

  snapshot() {
    return this.policy && { verdict: this.policy.verdict, audit: this.policy.audit, sources: this.policy.sources,
                            origins: this.policy.origins, rules: this.rules };
  }
}

function compile(section) {
  if (!section || typeof section !== 'object' || !Array.isArray(section.patterns)) return null;
  const patterns = [];
  const sources = [];
  for (const source of section.patterns) {
    if (typeof source !== 'string' || !source) continue;
    try {
      patterns.push(new RegExp(source, 'i'));
      sources.push(source);
    } catch (e) {
      console.error('weir: model download pattern does not compile:', source);
    }
  }
  const origins = Array.isArray(section.origins) ? section.origins.filter((g) => g && Array.isArray(g.match))
    .map((g) => ({ match: g.match.filter((m) => typeof m === 'string'),
                   verdict: g.verdict === 'block' || g.verdict === 'allow' ? g.verdict : null })) : [];
  return { verdict: section.verdict === 'block' ? 'block' : 'allow', audit: section.audit !== false,
           patterns, sources, origins };
}

// Whether url names a model file, as written or as a server would decode it.
export function isModelUrl(policy, url) {
  const decoded = decodeUnreserved(url);
  return policy.patterns.some((re) => re.test(url) || (decoded !== url && re.test(decoded)));
}

// Decodes the percent-encoded unreserved characters of a URL, and only those: what every
// server does before it looks for the file.
export function decodeUnreserved(url) {
  return String(url).replace(/%([0-9a-fA-F]{2})/g, (whole, hex) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : whole;
  });
}

// The first origin group matching origin decides; one without a verdict leaves the default.
export function decide(policy, origin) {
  for (const group of policy.origins) {
    if (group.match.some((m) => originMatches(m, origin))) return group.verdict || policy.verdict;
  }
  return policy.verdict;
}

// The host's rule (policy.c policy_origin_matches): "*" matches everything; a pattern is
// scheme://host[:port]; "*." before a host takes it and its subdomains; no port, any port.
export function originMatches(pattern, origin) {
  if (pattern === '*') return true;
  const p = splitOrigin(pattern);
  const o = splitOrigin(origin);
  if (!p || !o) return false;
  if (p.scheme !== '*' && p.scheme !== o.scheme) return false;
  if (p.port !== null && p.port !== o.port) return false;
  if (p.host === '*') return true;
  if (p.host.startsWith('*.')) {
    const base = p.host.slice(2);
    return o.host === base || o.host.endsWith('.' + base);
  }
  return p.host === o.host;
}

function splitOrigin(s) {
  const m = /^([^:/]+):\/\/([^/]*)/.exec(String(s).toLowerCase());
  if (!m) return null;
  const hostPort = m[2];
  const colon = hostPort.lastIndexOf(':');
  const bracket = hostPort.lastIndexOf(']');
  if (colon > bracket && colon !== -1) return { scheme: m[1], host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
  return { scheme: m[1], host: hostPort, port: null };
}

// An origin group's patterns as declarativeNetRequest initiator domains, or null for "*"
// (every initiator). The browser's domains take subdomains too and know no scheme or
// port, so "https://host" becomes a little broader there (docs/webgpu.md).
function domainsOf(match) {
  const domains = [];
  for (const m of match) {
    if (m === '*') return null;
    const p = splitOrigin(m);
    if (!p || p.host === '*') {
      if (p) return null;
      continue;
    }
    const host = p.host.startsWith('*.') ? p.host.slice(2) : p.host;
    if (host && !domains.includes(host)) domains.push(host.replace(/^\[|\]$/g, ''));
  }
  return domains;
}

// An audit record names the file, never a query string (which may carry a token).
function withoutQuery(url) {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch (e) {
    return String(url).split(/[?#]/)[0];
  }
}
