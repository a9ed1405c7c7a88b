// The Hugging Face tokenizer is shared by every family that reads Hugging Face folders (hub/tokenizer.ts).
export { hfTokenizer, wordPieceJson, type HfTokenizer, type HfTokenizerInfo } from '../../hub/tokenizer.js';
