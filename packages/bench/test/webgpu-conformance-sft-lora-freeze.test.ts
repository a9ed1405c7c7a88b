/**
 * The conformance suite of every built-in method, the same rows as each method's own file, on the
 * webgpu backend (CI: the software adapter, Mesa llvmpipe through Dawn's OpenGL ES backend).
 * The method files call runConformance at import; the backend comes from the environment.
 * Split over two files (this one and webgpu-conformance-ptuning.test.ts) so two forks share it.
 */
process.env.TUNELAB_CONFORMANCE_BACKEND = 'webgpu';
// the tiny test model only (the software adapter is slow); webgpu-parity.test.ts trains the Hugging Face fixtures
process.env.TUNELAB_CONFORMANCE_MODELS = 'tiny';
await import('../../method-sft/test/conformance.test.js');
await import('../../method-lora/test/conformance.test.js');
await import('../../method-freeze/test/conformance.test.js');
