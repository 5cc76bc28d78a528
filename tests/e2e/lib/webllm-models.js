// Placeholder model files at the paths a WebLLM page fetches them from: the Hugging Face
// layout (USER/MODEL/resolve/main/...) and WebLLM's model-library repository layout. Small
// and fake: what is tested is whether the browser may fetch them, not what they hold.
export const MODEL = 'SmolLM2-135M-Instruct-q0f32-MLC';
export const MODEL_DIR = `/mlc-ai/${MODEL}/resolve/main`;
export const MODEL_LIB = '/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_86/base/' +
  'SmolLM2-135M-Instruct-q0f32_cs1k-webgpu.wasm';

// The smallest valid WebAssembly module: WebLLM compiles it, then finds no TVM runtime in it.
const EMPTY_WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export const WEBLLM_FILES = {
  [`${MODEL_DIR}/mlc-chat-config.json`]: JSON.stringify({
    model_type: 'llama', vocab_size: 49152, context_window_size: 2048, prefill_chunk_size: 1024,
    tokenizer_files: ['tokenizer.json'], conv_template: { name: 'chatml', system_template: '', roles: {} },
  }),
  [`${MODEL_DIR}/tensor-cache.json`]: JSON.stringify({ metadata: {}, records: [] }),
  [`${MODEL_DIR}/ndarray-cache.json`]: JSON.stringify({ metadata: {}, records: [] }),
  [`${MODEL_DIR}/params_shard_0.bin`]: Buffer.alloc(1024, 7),
  [`${MODEL_DIR}/tokenizer.json`]: JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } }),
  [MODEL_LIB]: EMPTY_WASM,
  // Other runtimes' files, for the direct fetches.
  '/models/llama/model-q4_k_m.gguf': Buffer.from('GGUF'),
  '/Xenova/tiny/resolve/main/onnx/model_quantized.onnx': Buffer.alloc(16),
  '/google/gemma/gemma3-1b-it-int4.task': Buffer.alloc(16),
  '/weights/model.safetensors': Buffer.alloc(16),
};

export function isModelPath(p) {
  return Object.hasOwn(WEBLLM_FILES, p);
}
