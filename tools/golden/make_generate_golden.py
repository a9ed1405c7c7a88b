#!/usr/bin/env python3
"""Batched, left-padded greedy generation on the decoder fixtures, in plain float64 PyTorch.

Written from transformers' documented semantics, without transformers or tunelab code:
- prompts LEFT-padded into one batch; attention_mask 0 on the padding;
- position_ids = cumsum(attention_mask) - 1, padding filled with 1 (what `generate` passes);
- attention: causal (key index <= query index) and padding masks; with a sliding window also
  key index > query index - window (masking_utils.sliding_window_overlay), on the padded indices;
- every step recomputes the whole sequence (no cache), takes the argmax of the last position's
  logits of every row, appends it with mask 1.
Writes packages/core/test/generate/batched-reference.json: per case the prompts, the continuations,
and the smallest gap between the best and second-best logit over all steps and rows.
"""
import json
import math
import struct
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "hf"
OUT = ROOT / "packages" / "core" / "test" / "generate" / "batched-reference.json"
STEPS = 8
torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", v["dtype"]
        a, b = v["data_offsets"]
        out[k] = torch.tensor(np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).astype(np.float64))
    return out


def attention_bias(mask, window):
    """[B, 1, T, T] additive bias: causal, padding keys, optional sliding window (on indices)."""
    B, T = mask.shape
    q = torch.arange(T)[:, None]
    k = torch.arange(T)[None, :]
    ok = k <= q
    if window is not None:
        ok = ok & (k > q - window)
    ok = ok[None, None, :, :] & (mask[:, None, None, :] > 0)
    return torch.where(ok, torch.tensor(0.0), torch.tensor(-math.inf))


def softmax_rows(scores):
    # rows of padding queries may be fully masked: their outputs are never read
    m = scores.max(dim=-1, keepdim=True).values
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)
    e = torch.exp(scores - m)
    s = e.sum(dim=-1, keepdim=True)
    return e / torch.where(s == 0, torch.ones_like(s), s)


def llama_logits(w, cfg, ids, mask, pos, window):
    H, G, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
    B, T = ids.shape
    x = w["model.embed_tokens.weight"][ids]
    inv = 1.0 / theta ** (torch.arange(0, hd, 2) / hd)
    ang = pos[:, :, None].double() * inv[None, None, :]
    emb = torch.cat([ang, ang], dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, hd]

    def rms(v, g):
        return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps) * g

    def rot(v):
        a, b = v[..., : hd // 2], v[..., hd // 2 :]
        return torch.cat([-b, a], dim=-1)

    bias = attention_bias(mask, window)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(B, T, H, hd).transpose(1, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(B, T, G, hd).transpose(1, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(B, T, G, hd).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k = k.repeat_interleave(H // G, dim=1)
        v = v.repeat_interleave(H // G, dim=1)
        probs = softmax_rows(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, H * hd)
        x = x + ctx @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        g = h @ w[p + "mlp.gate_proj.weight"].T
        x = x + ((g * torch.sigmoid(g)) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    x = rms(x, w["model.norm.weight"])
    return x @ w["lm_head.weight"].T


def gpt2_logits(w, cfg, ids, mask, pos, window):
    assert window is None
    H, d, eps = cfg["n_head"], cfg["n_embd"], cfg["layer_norm_epsilon"]
    hd = d // H
    B, T = ids.shape
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][pos]

    def ln(v, g, b):
        mu = v.mean(-1, keepdim=True)
        var = ((v - mu) ** 2).mean(-1, keepdim=True)
        return (v - mu) / torch.sqrt(var + eps) * g + b

    def gelu_new(v):
        return 0.5 * v * (1 + torch.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))

    bias = attention_bias(mask, None)
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        h = ln(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = [t.view(B, T, H, hd).transpose(1, 2) for t in qkv.split(d, dim=-1)]
        probs = softmax_rows(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, d)
        x = x + ctx @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = ln(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        x = x + gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]) @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = ln(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"])
    return x @ w["transformer.wte.weight"].T


def generate(forward, w, cfg, prompts, pad, window=None):
    L = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (L - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (L - len(p)) + [1] * len(p) for p in prompts])
    out = [[] for _ in prompts]
    margin = math.inf
    for _ in range(STEPS):
        pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        last = forward(w, cfg, ids, mask, pos, window)[:, -1, :]
        top2 = last.topk(2, dim=-1).values
        margin = min(margin, float((top2[:, 0] - top2[:, 1]).min()))
        nxt = last.argmax(-1)
        for b, t in enumerate(nxt.tolist()):
            out[b].append(t)
        ids = torch.cat([ids, nxt[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones(len(prompts), 1, dtype=mask.dtype)], dim=1)
    return out, margin


def main():
    cases = []
    for name, forward, windows in [("gpt2-tiny", gpt2_logits, [None]), ("llama-tiny", llama_logits, [None, 3])]:
        d = FIX / name
        cfg = json.loads((d / "config.json").read_text())
        ref = json.loads((d / "reference.json").read_text())
        w = read_safetensors(d / "model.safetensors")
        prompts = [e["ids"] for e in ref["text_encodings"]]
        for window in windows:
            cont, margin = generate(forward, w, cfg, prompts, ref["padding_id"], window)
            if window is None:
                assert cont[0] == ref["greedy_continuation"], (name, cont[0], ref["greedy_continuation"])
            cases.append(
                {
                    "fixture": name,
                    "sliding_window": window,
                    "pad_id": ref["padding_id"],
                    "prompts": prompts,
                    "continuations": cont,
                    "min_logit_margin": margin,
                }
            )
            print(name, window, cont, f"margin {margin:.3g}")
    OUT.write_text(json.dumps({"$comment": __doc__.strip(), "steps": STEPS, "cases": cases}, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
