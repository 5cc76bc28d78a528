// A page's service worker: the WebGPU guard never runs here; the model-download rules do.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', async (m) => {
  let result;
  try {
    result = 'status:' + (await fetch(m.data)).status;
  } catch (e) {
    result = 'error:' + e.message;
  }
  m.source.postMessage(result);
});
