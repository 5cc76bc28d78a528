importScripts('helper.js');
onmessage = async () => {
  let result;
  try {
    const adapter = await navigator.gpu.requestAdapter();
    result = adapter ? 'adapter:' + adapter.info.architecture : 'null';
  } catch (e) {
    result = 'error:' + e.message;
  }
  const data = await (await fetch('data.json')).json();
  postMessage(`${result}|${self.helperLoaded}|${data.relative}|${location.pathname}`);
};
