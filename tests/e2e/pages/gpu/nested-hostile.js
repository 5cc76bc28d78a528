// A worker that replaces what a guard might borrow (URL.createObjectURL, Blob, MessageChannel,
// the port's onmessage setter, Map) before it starts its own worker, and passes on the
// nested worker's answer.
onmessage = () => {
  const realCreate = URL.createObjectURL;
  URL.createObjectURL = () => 'worker-classic.js';
  self.Blob = function Blob() { return new (Object.getPrototypeOf(realCreate).constructor)(); };
  self.MessageChannel = function MessageChannel() { return { port1: {}, port2: {} }; };
  Object.defineProperty(MessagePort.prototype, 'onmessage', { set() {}, configurable: true });
  Map.prototype.get = () => (ok) => ok(true);
  let inner;
  try {
    inner = new Worker('worker-classic.js');
  } catch (e) {
    postMessage('nested-threw:' + e.name);
    return;
  }
  inner.onmessage = (e) => postMessage('nested:' + e.data);
  inner.onerror = (e) => postMessage('nested-error:' + e.message);
  inner.postMessage('go');
};
