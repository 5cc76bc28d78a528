// A service worker that answers a page's message with what its adapter request returned.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', (e) => {
  e.waitUntil((async () => {
    let result;
    try {
      const a = self.navigator.gpu ? await navigator.gpu.requestAdapter() : undefined;
      result = a === undefined ? 'no-gpu' : a ? 'adapter:' + a.info.architecture : 'null';
    } catch (err) {
      result = 'error:' + err.message;
    }
    e.source.postMessage({ serviceAdapter: result });
  })());
});
