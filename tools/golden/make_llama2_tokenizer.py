"""A Llama-2/TinyLlama-style tokenizer.json (SentencePiece BPE with byte fallback) and the ids Hugging
Face's Rust `tokenizers` library gives for it: the reference for @huggingface/tokenizers (JavaScript).

Layout as in meta-llama/Llama-2-7b-hf and TinyLlama: <unk> <s> </s>, then the 256 byte tokens <0x00>..<0xFF>,
then BPE pieces; normalizer Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer, BPE with byte_fallback and
fuse_unk, post-processor "<s> $A", decoder Replace("▁", " ") + ByteFallback + Fuse + Strip(left 1).
Run: python tools/golden/make_llama2_tokenizer.py fixtures/hf/llama2-tokenizer  (needs `pip install tokenizers`)."""
import json, sys
from tokenizers import Tokenizer, models, normalizers, decoders, processors, trainers

out = sys.argv[1]
corpus = [
    "The cat sat on the mat.", "the quick brown fox jumps over the lazy dog", "a small cafe by the sea",
    "It's 42, world!", "tokenizers split text into pieces", "the cat and the dog are friends",
    "a dog is a kind of canine", "numbers like 1234 and 56 are split", "hello world hello there",
] * 20
# 1. merges learnt by BPE on the corpus, with the normaliser Llama's tokenizer.json applies
base = Tokenizer(models.BPE(unk_token="<unk>"))
base.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
base.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=180, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False))
learnt = json.loads(base.to_str())["model"]
# 2. Llama's id layout: specials, 256 byte tokens, then the pieces in their learnt order
vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
for b in range(256):
    vocab[f"<0x{b:02X}>"] = len(vocab)
for piece, _ in sorted(learnt["vocab"].items(), key=lambda kv: kv[1]):
    if piece not in vocab:
        vocab[piece] = len(vocab)
merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in learnt["merges"]]
tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
tok.add_special_tokens(["<unk>", "<s>", "</s>"])
tok.save(f"{out}/tokenizer.json")
json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": None, "add_bos_token": True,
           "add_eos_token": False, "tokenizer_class": "LlamaTokenizer", "model_max_length": 2048,
           "clean_up_tokenization_spaces": False, "legacy": False}, open(f"{out}/tokenizer_config.json", "w"), indent=2)
texts = ["The cat sat on the mat.", "a café ☕ by the sea", "Zebra 🦓 #9!", "  two  spaces", "日本"]
enc = [{"text": t, "ids": tok.encode(t).ids, "tokens": tok.encode(t).tokens, "decoded": tok.decode(tok.encode(t).ids, skip_special_tokens=True)} for t in texts]
json.dump({"$comment": "ids from Hugging Face's Rust tokenizers library for this tokenizer.json (with the post-processor's <s>); decoded = decode(ids, skip_special_tokens=True)",
           "tokenizers_version": __import__("tokenizers").__version__, "encodings": enc}, open(f"{out}/reference.json", "w"), indent=1, ensure_ascii=False)
print(json.dumps(enc, ensure_ascii=False)[:800])
