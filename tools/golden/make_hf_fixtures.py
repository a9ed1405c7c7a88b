#!/usr/bin/env python3
"""Two more Hugging Face fixtures, with float64 references from plain NumPy (no tunelab code, no torch).

- fixtures/hf/tinybert-312/: a BERT checkpoint with TinyBERT's odd shape (hidden 312, FFN 1200,
  12 heads of 26), 2 layers, the bert-tiny WordPiece vocabulary and tokenizer files.
- examples/family-distilbert/test/fixtures/distilbert-tiny/: a DistilBERT checkpoint as
  transformers' DistilBertForSequenceClassification saves it (dim 32, 2 layers, 4 heads, FFN 72),
  the same vocabulary and tokenizer files.

The NumPy encoder follows the BERT equations: embeddings LayerNorm(word + position (+ token type)),
positions 0..T-1; per layer (post-LN) x = LN(x + attn(x)), x = LN(x + W2 gelu(W1 x + b1) + b2) with
the exact erf GELU; attention heads are consecutive slices of the projections, scores
q.k / sqrt(head size), padded keys (attention_mask 0) get no weight; no dropout; BERT's pooler
tanh(dense(x[:, 0])). Linear weights are stored [out, in] and applied as x @ W^T + b.

Before it writes anything the script checks the encoder on bert-tiny: it must reproduce that
fixture's committed reference.json (made with PyTorch's nn.TransformerEncoderLayer) to 1e-12. Every
reference is also recomputed by a second, separately written forward pass (one row at a time
without padding, loops over positions and heads, weights read back from the written file), which
must agree to 1e-12. `--check` recomputes the committed files without regenerating them.

Usage: python3 tools/golden/make_hf_fixtures.py [--check]    (numpy only; see tools/golden/README.md)
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BERT_TINY = os.path.join(ROOT, "fixtures", "hf", "bert-tiny")
TINYBERT = os.path.join(ROOT, "fixtures", "hf", "tinybert-312")
DISTILBERT = os.path.join(ROOT, "examples", "family-distilbert", "test", "fixtures", "distilbert-tiny")
TOKENIZER_FILES = ["vocab.txt", "tokenizer.json", "tokenizer_config.json"]

TINYBERT_SEED = 312
DISTILBERT_SEED = 72
TOL = 1e-12  # NumPy vs bert-tiny's PyTorch reference, and NumPy vs the second NumPy pass


# ---------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, JSON header, raw little-endian data


def read_safetensors(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + start : 8 + n + end], dtype="<f4").reshape(info["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    """Sorted keys, compact header with {"format": "pt"} metadata, padded with spaces to 8 bytes,
    as the safetensors library writes it for torch."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        chunks.append(a.tobytes())
        offset += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for c in chunks:
            fh.write(c)


# ---------------------------------------------------------------------------------------------
# checkpoints -> one common parameter layout


def bert_params(t, cfg, prefix="bert."):
    p = lambda n: t[prefix + n]
    P = {
        "word": p("embeddings.word_embeddings.weight"),
        "pos": p("embeddings.position_embeddings.weight"),
        "type": p("embeddings.token_type_embeddings.weight"),
        "emb_ln": (p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias")),
        "heads": cfg["num_attention_heads"],
        "eps": cfg["layer_norm_eps"],
        "layers": [],
        "pooler": (p("pooler.dense.weight"), p("pooler.dense.bias")),
    }
    for i in range(cfg["num_hidden_layers"]):
        L = lambda n: (p(f"encoder.layer.{i}.{n}.weight"), p(f"encoder.layer.{i}.{n}.bias"))
        P["layers"].append({
            "q": L("attention.self.query"), "k": L("attention.self.key"), "v": L("attention.self.value"),
            "o": L("attention.output.dense"), "ln1": L("attention.output.LayerNorm"),
            "up": L("intermediate.dense"), "down": L("output.dense"), "ln2": L("output.LayerNorm"),
        })
    return P


DISTILBERT_EPS = 1e-12  # hard-coded in transformers' DistilBERT (nn.LayerNorm(dim, eps=1e-12)); not in config.json


def distilbert_params(t, cfg, prefix="distilbert."):
    p = lambda n: t[prefix + n]
    P = {
        "word": p("embeddings.word_embeddings.weight"),
        "pos": p("embeddings.position_embeddings.weight"),
        "type": None,
        "emb_ln": (p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias")),
        "heads": cfg["n_heads"],
        "eps": DISTILBERT_EPS,
        "layers": [],
        "pooler": None,
    }
    for i in range(cfg["n_layers"]):
        L = lambda n: (p(f"transformer.layer.{i}.{n}.weight"), p(f"transformer.layer.{i}.{n}.bias"))
        P["layers"].append({
            "q": L("attention.q_lin"), "k": L("attention.k_lin"), "v": L("attention.v_lin"),
            "o": L("attention.out_lin"), "ln1": L("sa_layer_norm"),
            "up": L("ffn.lin1"), "down": L("ffn.lin2"), "ln2": L("output_layer_norm"),
        })
    return P


def cast(P, dtype):
    if isinstance(P, np.ndarray):
        return P.astype(dtype)
    if isinstance(P, tuple):
        return tuple(cast(x, dtype) for x in P)
    if isinstance(P, list):
        return [cast(x, dtype) for x in P]
    if isinstance(P, dict):
        return {k: cast(v, dtype) for k, v in P.items()}
    return P


# ---------------------------------------------------------------------------------------------
# forward pass 1: batched, vectorised. `bug` names one deliberate mistake (for the sensitivity table)

_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x, bug=None):
    if bug == "tanh_gelu":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + np.asarray(_erf(x / math.sqrt(2)), dtype=np.float64).astype(x.dtype))


def layer_norm(x, gb, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)  # biased variance
    return (x - mean) / np.sqrt(var + eps) * gb[0] + gb[1]


def forward(P, ids, mask, types=None, dtype=np.float64, bug=None):
    P = cast(P, dtype)
    ids, keep = np.asarray(ids), np.asarray(mask).astype(bool)
    B, T = ids.shape
    eps = P["eps"] if bug != "eps_1e-5" else 1e-5
    x = P["word"][ids] + P["pos"][:T][None]
    if P["type"] is not None and bug != "no_token_types":
        x = x + P["type"][np.asarray(types)]
    x = layer_norm(x, P["emb_ln"], eps)
    d, H = x.shape[-1], P["heads"]
    dh = d // H
    scale = dtype(1 / math.sqrt(d if bug == "scale_by_hidden" else dh))
    if bug == "no_mask":
        keep = np.ones_like(keep)
    lin = lambda h, wb: h @ wb[0].T + wb[1]
    if bug == "interleaved_heads":  # head h takes every H-th column instead of a consecutive slice
        split = lambda t: t.reshape(B, T, dh, H).transpose(0, 3, 1, 2)
        merge = lambda t: t.transpose(0, 2, 3, 1).reshape(B, T, d)
    else:
        split = lambda t: t.reshape(B, T, H, dh).transpose(0, 2, 1, 3)  # [B, H, T, dh]
        merge = lambda t: t.transpose(0, 2, 1, 3).reshape(B, T, d)
    for L in P["layers"]:
        q, k, v = split(lin(x, L["q"])), split(lin(x, L["k"])), split(lin(x, L["v"]))
        s = (q @ k.transpose(0, 1, 3, 2)) * scale  # [B, H, T, T]
        s = np.where(keep[:, None, None, :], s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        a = merge((s / s.sum(-1, keepdims=True)) @ v)
        if bug == "pre_ln":
            x = x + lin(a, L["o"])
            x = x + lin(gelu(lin(layer_norm(x, L["ln2"], eps), L["up"])), L["down"])
        else:
            x = layer_norm(x + lin(a, L["o"]), L["ln1"], eps)
            x = layer_norm(x + lin(gelu(lin(x, L["up"]), bug), L["down"]), L["ln2"], eps)
    pooled = np.tanh(lin(x[:, 0], P["pooler"])) if P["pooler"] is not None else None
    return x, pooled


# ---------------------------------------------------------------------------------------------
# forward pass 2: written separately; one row at a time without its padding, loops over positions,
# heads and keys, y = W x + b per position, GELU element by element with math.erf


def forward_loops(P, ids, mask, types=None):
    rows, pooled = [], []
    for b in range(len(ids)):
        n = int(sum(mask[b]))
        assert list(mask[b][:n]) == [1] * n and not any(mask[b][n:]), "right padding expected"
        tok = list(ids[b][:n])
        tt = list(types[b][:n]) if types is not None else [0] * n

        def norm(v, g, beta):
            mu = math.fsum(v) / len(v)
            c = np.array([e - mu for e in v])
            sd = math.sqrt(math.fsum(c * c) / len(v) + P["eps"])
            return np.array([c[j] / sd * g[j] + beta[j] for j in range(len(v))])

        def affine(wb, v):
            w, bias = wb
            return np.array([np.dot(w[o].astype(np.float64), v) + float(bias[o]) for o in range(w.shape[0])])

        hs = []
        for t in range(n):
            e = P["word"][tok[t]].astype(np.float64) + P["pos"][t]
            if P["type"] is not None:
                e = e + P["type"][tt[t]]
            hs.append(norm(e, *P["emb_ln"]))
        d = len(hs[0])
        H = P["heads"]
        dh = d // H
        for L in P["layers"]:
            q = [affine(L["q"], h) for h in hs]
            k = [affine(L["k"], h) for h in hs]
            v = [affine(L["v"], h) for h in hs]
            new = []
            for t in range(n):
                ctx = np.zeros(d)
                for head in range(H):
                    sl = slice(head * dh, (head + 1) * dh)
                    sc = [float(np.dot(q[t][sl], k[u][sl])) / math.sqrt(dh) for u in range(n)]
                    m = max(sc)
                    w = [math.exp(s - m) for s in sc]
                    z = math.fsum(w)
                    for u in range(n):
                        ctx[sl] += (w[u] / z) * v[u][sl]
                h1 = norm(hs[t] + affine(L["o"], ctx), *L["ln1"])
                up = affine(L["up"], h1)
                act = np.array([0.5 * e * (1 + math.erf(e / math.sqrt(2))) for e in up])
                new.append(norm(h1 + affine(L["down"], act), *L["ln2"]))
            hs = new
        rows.append(hs)
        if P["pooler"] is not None:
            pooled.append(np.array([math.tanh(e) for e in affine(P["pooler"], hs[0])]))
    return rows, (pooled if P["pooler"] is not None else None)


# ---------------------------------------------------------------------------------------------


def real(x, mask):
    """[B][s][d] lists of the real positions of each row only."""
    return [[[float(e) for e in x[b][s]] for s in range(int(sum(mask[b])))] for b in range(len(mask))]


def max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(ra, dtype=np.float64) - np.asarray(rb, dtype=np.float64)))) for ra, rb in zip(a, b))


def check_bert_tiny():
    """The NumPy encoder against bert-tiny's committed PyTorch reference."""
    cfg = json.load(open(os.path.join(BERT_TINY, "config.json")))
    ref = json.load(open(os.path.join(BERT_TINY, "reference.json")))
    P = bert_params(read_safetensors(os.path.join(BERT_TINY, "model.safetensors")), cfg)
    x, pooled = forward(P, ref["input_ids"], ref["attention_mask"], ref["token_type_ids"])
    rows, pooled2 = forward_loops(P, ref["input_ids"], ref["attention_mask"], ref["token_type_ids"])
    e_h = max_diff(real(x, ref["attention_mask"]), ref["last_hidden_state"])
    e_p = max_diff(pooled, ref["pooler_output"])
    e_h2 = max_diff(rows, ref["last_hidden_state"])
    e_p2 = max_diff(pooled2, ref["pooler_output"])
    print(f"bert-tiny: NumPy vs committed PyTorch reference: last_hidden_state {e_h:.2e}, pooler_output {e_p:.2e}; "
          f"loop pass {e_h2:.2e} / {e_p2:.2e}")
    assert max(e_h, e_p, e_h2, e_p2) < TOL, "the NumPy BERT does not reproduce bert-tiny's reference"
    return ref


def references(P, ref, types):
    """float64 outputs, the float32 run's error, the loop pass's agreement, and the sensitivity table."""
    ids, mask = ref["input_ids"], ref["attention_mask"]
    x, pooled = forward(P, ids, mask, types)
    x32, pooled32 = forward(P, ids, mask, types, dtype=np.float32)
    rows, pooled2 = forward_loops(P, ids, mask, types)
    hidden = real(x, mask)
    f32 = max_diff(real(x32, mask), hidden)
    loops = max_diff(rows, hidden)
    if pooled is not None:
        f32 = max(f32, max_diff(pooled32, pooled))
        loops = max(loops, max_diff(pooled2, pooled))
    assert loops < TOL, f"the two NumPy passes disagree by {loops}"
    bugs = ["scale_by_hidden", "tanh_gelu", "eps_1e-5", "no_mask", "interleaved_heads", "pre_ln"]
    if P["type"] is not None:
        bugs.append("no_token_types")
    sens = {bug: max_diff(real(forward(P, ids, mask, types, bug=bug)[0], mask), hidden) for bug in bugs}
    return x, pooled, f32, loops, sens


def init(rng, shape, std, mean=0.0):
    return (mean + std * rng.standard_normal(shape)).astype(np.float32)


def copy_tokenizer(dst):
    for f in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(BERT_TINY, f), os.path.join(dst, f))


def write_json(path, obj, **kw):
    with open(path, "w") as fh:
        json.dump(obj, fh, **kw)
        fh.write("\n")


def tinybert_config():
    cfg = json.load(open(os.path.join(BERT_TINY, "config.json")))
    vocab = len(open(os.path.join(BERT_TINY, "vocab.txt"), encoding="utf-8").read().splitlines())
    cfg.update({"vocab_size": vocab, "hidden_size": 312, "num_hidden_layers": 2, "num_attention_heads": 12,
                "intermediate_size": 1200, "max_position_embeddings": 64, "type_vocab_size": 2,
                "layer_norm_eps": 1e-12, "hidden_act": "gelu"})
    return cfg


def make_tinybert(ref):
    cfg = tinybert_config()
    d, f, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    rng = np.random.default_rng(TINYBERT_SEED)
    t = {}
    # weights N(0, 0.02) as BERT's initializer_range; LayerNorm gamma 1 + N(0, 0.1), beta and all
    # biases N(0, 0.1): far from the identity / zero defaults, so a tensor read wrongly shows
    ln = lambda n: t.update({f"{n}.weight": init(rng, [d], 0.1, 1.0), f"{n}.bias": init(rng, [d], 0.1)})
    linear = lambda n, o, i: t.update({f"{n}.weight": init(rng, [o, i], 0.02), f"{n}.bias": init(rng, [o], 0.1)})
    t["bert.embeddings.word_embeddings.weight"] = init(rng, [V, d], 0.02)
    t["bert.embeddings.position_embeddings.weight"] = init(rng, [cfg["max_position_embeddings"], d], 0.02)
    t["bert.embeddings.token_type_embeddings.weight"] = init(rng, [cfg["type_vocab_size"], d], 0.02)
    ln("bert.embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        for n in ("query", "key", "value"):
            linear(p + "attention.self." + n, d, d)
        linear(p + "attention.output.dense", d, d)
        ln(p + "attention.output.LayerNorm")
        linear(p + "intermediate.dense", f, d)
        linear(p + "output.dense", d, f)
        ln(p + "output.LayerNorm")
    linear("bert.pooler.dense", d, d)

    os.makedirs(TINYBERT, exist_ok=True)
    write_safetensors(os.path.join(TINYBERT, "model.safetensors"), t)
    with open(os.path.join(TINYBERT, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)
    copy_tokenizer(TINYBERT)
    return reference_tinybert(ref)


def reference_tinybert(ref, write=True):
    cfg = json.load(open(os.path.join(TINYBERT, "config.json")))
    P = bert_params(read_safetensors(os.path.join(TINYBERT, "model.safetensors")), cfg)
    x, pooled, f32, loops, sens = references(P, ref, ref["token_type_ids"])
    out = {
        "$comment": "Reference outputs of this checkpoint, computed in float64 with a plain NumPy implementation of the BERT "
                    "equations (tools/golden/make_hf_fixtures.py: post-LN, exact erf GELU, key-padding mask, tanh pooler), "
                    "checked against bert-tiny's PyTorch reference; last_hidden_state lists the real (unmasked) positions of "
                    "each row only. The same NumPy code run in float32 differs from it by at most float32_max_abs_error. "
                    "input_ids, attention_mask, token_type_ids, texts and the encodings are bert-tiny's (same tokenizer).",
        "model_type": "bert",
        "input_ids": ref["input_ids"],
        "attention_mask": ref["attention_mask"],
        "token_type_ids": ref["token_type_ids"],
        "last_hidden_state": real(x, ref["attention_mask"]),
        "pooler_output": [[float(e) for e in row] for row in pooled],
        "float32_max_abs_error": f32,
        "texts": ref["texts"],
        "text_encodings": ref["text_encodings"],
        "pair_encoding": ref["pair_encoding"],
    }
    return finish(TINYBERT, out, f32, loops, sens, write)


def distilbert_config():
    vocab = len(open(os.path.join(BERT_TINY, "vocab.txt"), encoding="utf-8").read().splitlines())
    return {
        "activation": "gelu",
        "architectures": ["DistilBertForSequenceClassification"],
        "attention_dropout": 0.1,
        "dim": 32,
        "dropout": 0.1,
        "hidden_dim": 72,
        "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
        "initializer_range": 0.02,
        "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
        "max_position_embeddings": 64,
        "model_type": "distilbert",
        "n_heads": 4,
        "n_layers": 2,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "tie_weights_": True,
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",
        "vocab_size": vocab,
    }


def make_distilbert(ref):
    cfg = distilbert_config()
    d, f, V = cfg["dim"], cfg["hidden_dim"], cfg["vocab_size"]
    rng = np.random.default_rng(DISTILBERT_SEED)
    t = {}
    # linear weights N(0, 0.2) (about 1.1/sqrt(dim), bert-tiny's scale), biases and LayerNorm beta
    # N(0, 0.1), gamma 1 + N(0, 0.1); embeddings N(0, 0.05), small as in real checkpoints, so that the
    # embedding LayerNorm's epsilon (1e-12, not 1e-5) shows in the outputs
    ln = lambda n: t.update({f"{n}.weight": init(rng, [d], 0.1, 1.0), f"{n}.bias": init(rng, [d], 0.1)})
    linear = lambda n, o, i: t.update({f"{n}.weight": init(rng, [o, i], 0.2), f"{n}.bias": init(rng, [o], 0.1)})
    t["distilbert.embeddings.word_embeddings.weight"] = init(rng, [V, d], 0.05)
    t["distilbert.embeddings.position_embeddings.weight"] = init(rng, [cfg["max_position_embeddings"], d], 0.05)
    ln("distilbert.embeddings.LayerNorm")
    for i in range(cfg["n_layers"]):
        p = f"distilbert.transformer.layer.{i}."
        for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
            linear(p + "attention." + n, d, d)
        ln(p + "sa_layer_norm")
        linear(p + "ffn.lin1", f, d)
        linear(p + "ffn.lin2", d, f)
        ln(p + "output_layer_norm")
    linear("pre_classifier", d, d)
    linear("classifier", 2, d)

    os.makedirs(DISTILBERT, exist_ok=True)
    write_safetensors(os.path.join(DISTILBERT, "model.safetensors"), t)
    write_json(os.path.join(DISTILBERT, "config.json"), cfg, indent=2, sort_keys=True)
    copy_tokenizer(DISTILBERT)
    return reference_distilbert(ref)


def reference_distilbert(ref, write=True):
    cfg = json.load(open(os.path.join(DISTILBERT, "config.json")))
    t = read_safetensors(os.path.join(DISTILBERT, "model.safetensors"))
    P = distilbert_params(t, cfg)
    x, _, f32, loops, sens = references(P, ref, None)
    head = lambda h, dt: np.maximum(h[:, 0] @ t["pre_classifier.weight"].astype(dt).T + t["pre_classifier.bias"].astype(dt), 0) \
        @ t["classifier.weight"].astype(dt).T + t["classifier.bias"].astype(dt)
    logits = head(x, np.float64)
    logits32 = head(forward(P, ref["input_ids"], ref["attention_mask"], dtype=np.float32)[0], np.float32)
    out = {
        "$comment": "Reference outputs of this checkpoint, computed in float64 with a plain NumPy implementation of "
                    "DistilBERT (tools/golden/make_hf_fixtures.py: LayerNorm(word + position), post-LN blocks, exact erf "
                    "GELU, key-padding mask, LayerNorm eps 1e-12); last_hidden_state lists the real (unmasked) positions of "
                    "each row only. The same NumPy code run in float32 differs from it by at most float32_max_abs_error. "
                    "logits: DistilBertForSequenceClassification's head (classifier(relu(pre_classifier(h[:, 0])))), which a "
                    "base-model loader leaves unused. input_ids, attention_mask, texts and encodings are bert-tiny's.",
        "model_type": "distilbert",
        "input_ids": ref["input_ids"],
        "attention_mask": ref["attention_mask"],
        "last_hidden_state": real(x, ref["attention_mask"]),
        "float32_max_abs_error": f32,
        "logits": [[float(e) for e in row] for row in logits],
        "float32_logits_max_abs_error": max_diff(logits32, logits),
        "texts": ref["texts"],
        "text_encodings": ref["text_encodings"],
        "pair_encoding": ref["pair_encoding"],
    }
    return finish(DISTILBERT, out, f32, loops, sens, write)


def finish(folder, out, f32, loops, sens, write):
    name = os.path.relpath(folder, ROOT)
    path = os.path.join(folder, "reference.json")
    if write:
        with open(path, "w") as fh:
            json.dump(out, fh, separators=(",", ":"))
    else:
        committed = json.load(open(path))
        assert list(committed) == list(out), f"{name}: the committed reference has other fields"
        diff = max(max_diff(committed[k], out[k]) for k in ("last_hidden_state", "pooler_output", "logits") if k in out)
        assert diff < TOL, f"{name}: committed reference differs by {diff}"
        assert all(committed[k] == out[k] for k in out if k not in ("last_hidden_state", "pooler_output", "logits")
                   and not k.endswith("_error")), f"{name}: committed ids or encodings differ"
        print(f"{name}: committed reference recomputed, max difference {diff:.2e}")
    print(f"{name}: float32 run {f32:.2e}, loop pass {loops:.2e}; one deliberate mistake moves the hidden states by: "
          + ", ".join(f"{k} {v:.2g}" for k, v in sens.items()))
    return out


def main():
    ref = check_bert_tiny()
    if "--check" in sys.argv[1:]:
        reference_tinybert(ref, write=False)
        reference_distilbert(ref, write=False)
        return
    make_tinybert(ref)
    make_distilbert(ref)
    for folder in (TINYBERT, DISTILBERT):
        for f in sorted(os.listdir(folder)):
            print(f"  {os.path.relpath(os.path.join(folder, f), ROOT)}: {os.path.getsize(os.path.join(folder, f))} bytes")


if __name__ == "__main__":
    main()
