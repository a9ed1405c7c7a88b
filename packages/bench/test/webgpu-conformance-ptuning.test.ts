/** P-tuning v2's conformance rows on webgpu (the other methods: webgpu-conformance-{sft,lora,freeze}.test.ts). */
process.env.TUNELAB_CONFORMANCE_BACKEND = 'webgpu';
process.env.TUNELAB_CONFORMANCE_MODELS = 'tiny';
await import('../../method-ptuning/test/conformance.test.js');
