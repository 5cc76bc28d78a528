// A shared worker that tells each page how many connections it has had.
let connections = 0;
onconnect = (e) => e.ports[0].postMessage(++connections);
