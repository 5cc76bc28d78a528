// WebLLM's worker side, as its examples write it.
import { WebWorkerMLCEngineHandler } from '/node_modules/@mlc-ai/web-llm/lib/index.js';
const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (msg) => handler.onmessage(msg);
