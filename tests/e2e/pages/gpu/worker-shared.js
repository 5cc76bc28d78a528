// A shared worker that answers each connected page with what its adapter request returned.
async function adapter() {
  try {
    const a = await navigator.gpu.requestAdapter();
    return a ? 'adapter:' + a.info.architecture : 'null';
  } catch (e) {
    return 'error:' + e.message;
  }
}
onconnect = (e) => {
  const port = e.ports[0];
  port.onmessage = async () => port.postMessage(await adapter());
};
