// Loaded with importScripts('helper.js') by a relative URL: it must resolve against the
// worker script's own URL, not the blob: URL Weir starts the worker from.
self.helperLoaded = 'classic-helper';
