// A worker that starts its own worker (by a relative URL) and passes on its answer.
onmessage = () => {
  const inner = new Worker('worker-classic.js');
  inner.onmessage = (e) => postMessage('nested:' + e.data);
  inner.onerror = (e) => postMessage('nested-error:' + e.message);
  inner.postMessage('go');
};
