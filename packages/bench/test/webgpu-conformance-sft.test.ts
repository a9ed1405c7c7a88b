/**
 * The conformance suite of the built-in method 'sft', the same rows as its own file, on the webgpu
 * backend (CI: the software adapter, Mesa llvmpipe through Dawn's OpenGL ES backend). The method
 * files call runConformance at import; the backend comes from the environment. One file per method
 * (webgpu-conformance-{sft,lora,freeze,ptuning}.test.ts), so the forks share the slow adapter evenly.
 */
process.env.TUNELAB_CONFORMANCE_BACKEND = 'webgpu';
// the tiny test model only (the software adapter is slow); webgpu-parity.test.ts trains the Hugging Face fixtures
process.env.TUNELAB_CONFORMANCE_MODELS = 'tiny';
await import('../../method-sft/test/conformance.test.js');
