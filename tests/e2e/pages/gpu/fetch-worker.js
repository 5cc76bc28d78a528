// Fetches what the page asks for and says what happened: "status:200" or "error:...".
async function attempt(url) {
  try {
    return 'status:' + (await fetch(url)).status;
  } catch (e) {
    return 'error:' + e.message;
  }
}
if (typeof onconnect !== 'undefined' || self.constructor.name === 'SharedWorkerGlobalScope') {
  onconnect = (e) => {
    const port = e.ports[0];
    port.onmessage = async (m) => port.postMessage(await attempt(m.data));
  };
} else {
  onmessage = async (m) => postMessage(await attempt(m.data));
}
