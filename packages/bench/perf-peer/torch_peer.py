#!/usr/bin/env python3
"""PyTorch peer of `tunelab perf`: the same encoders, methods and shapes, timed the same way.

Reads a JSON spec on stdin (see packages/bench/src/perf/peer.ts):
  {"models": [{"name", "layers", "hidden", "heads", "seq", "batch", "family"}],
   "methods": [{"label", "id", "params"}], "threads": [1, 2], "warmup": 3, "steps": 10,
   "slowStepMs": 3000, "slowSteps": 5}
and prints one JSON object per (model, method, threads) on stdout:
  {"model", "method", "threads", "msPerStep", "tokensPerSec", "cpuMsPerStep", "steps", "torch"}
Progress goes to stderr.

Models (random init, as tunelab perf's):
  zoo  - tunelab's pre-LN encoder (packages/core/src/model/encoder.ts): token + position
         embeddings, dropout; per block h += drop(attn(LN1(h))), h += drop(FFN(LN2(h))) with
         GELU x*sigmoid(1.702x); final LN; head: masked mean pooling + linear. Vocabulary 4096,
         max positions max(64, seq), attention-probability dropout, dropout 0.1.
  bert - post-LN BERT (Hugging Face layout): word + position + token-type embeddings, LN, dropout;
         h = LN(h + drop(attn(h))), h = LN(h + drop(FFN(h))) with exact (erf) GELU; pooler
         (tanh dense on [CLS]); dropout + classifier. Vocabulary 30522, 512 positions, eps 1e-12.
Methods: sft (everything trains), lora (rank r, alpha 16, dropout 0.05 on query and value of every
layer; backbone frozen, head trains), ptuning-v2 (deep: P trainable key and value prefixes per
layer, dropout 0.1 on them; backbone frozen), freeze (only the last layer's FFN and the head).
Training step: AdamW (weight decay 0.01, each method's tunelab default rate), gradient clipping at
norm 1, linear warm-up (10%) and decay, 8 labels, full-length random token rows.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = 8
ZOO_VOCAB = 4096
MASKED = -1e9
RATES = {"sft": 1e-3, "lora": 3e-3, "ptuning-v2": 1e-2, "freeze": 3e-3}


def gelu_sigmoid(x):
    return x * torch.sigmoid(1.702 * x)


class Lora(nn.Module):
    """W x + (alpha / r) B A drop(x), B = 0 at init."""

    def __init__(self, base, r, alpha=16.0, p=0.05):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(self.drop(x), self.a), self.b) * self.scale


class Attention(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.h = heads
        self.query, self.key, self.value, self.output = (nn.Linear(d, d) for _ in range(4))
        self.drop = nn.Dropout(p)
        self.prefix = None  # (key [P, d], value [P, d], dropout) for P-tuning v2

    def forward(self, x, bias):
        B, S, d = x.shape
        H, dh = self.h, d // self.h
        q, k, v = self.query(x), self.key(x), self.value(x)
        if self.prefix is not None:
            pk, pv, pdrop = self.prefix
            P = pk.shape[0]
            k = torch.cat([pdrop(pk).expand(B, P, d), k], 1)
            v = torch.cat([pdrop(pv).expand(B, P, d), v], 1)
            bias = torch.cat([bias.new_zeros(B, 1, 1, P), bias], 3)
        K = k.shape[1]
        q = q.view(B, S, H, dh).transpose(1, 2)
        k = k.view(B, K, H, dh).transpose(1, 2)
        v = v.view(B, K, H, dh).transpose(1, 2)
        probs = self.drop(torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(dh)) + bias, -1))
        return self.output((probs @ v).transpose(1, 2).reshape(B, S, d))


class Block(nn.Module):
    def __init__(self, d, heads, p, post_ln, eps):
        super().__init__()
        self.post_ln = post_ln
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, heads, p)
        self.up, self.down = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.drop = nn.Dropout(p)

    def forward(self, h, bias):
        if self.post_ln:
            h = self.ln1(h + self.drop(self.attn(h, bias)))
            return self.ln2(h + self.drop(self.down(F.gelu(self.up(h)))))
        h = h + self.drop(self.attn(self.ln1(h), bias))
        return h + self.drop(self.down(gelu_sigmoid(self.up(self.ln2(h)))))


class Encoder(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.bert = m.get("family") == "bert"
        d, p = m["hidden"], 0.1
        eps = 1e-12 if self.bert else 1e-5
        vocab = 30522 if self.bert else ZOO_VOCAB
        self.token = nn.Embedding(vocab, d)
        self.position = nn.Embedding(512 if self.bert else max(64, m["seq"]), d)
        if self.bert:
            self.token_type = nn.Embedding(2, d)
            self.emb_ln = nn.LayerNorm(d, eps=eps)
            self.pooler = nn.Linear(d, d)
        else:
            self.final_ln = nn.LayerNorm(d, eps=eps)
        self.drop = nn.Dropout(p)
        self.layers = nn.ModuleList(Block(d, m["heads"], p, self.bert, eps) for _ in range(m["layers"]))
        self.classifier = nn.Linear(d, LABELS)

    def forward(self, ids, mask):
        B, S = ids.shape
        x = self.token(ids) + self.position.weight[:S]
        if self.bert:
            x = self.emb_ln(x + self.token_type.weight[0])
        h = self.drop(x)
        bias = ((1 - mask) * MASKED).view(B, 1, 1, S)
        for layer in self.layers:
            h = layer(h, bias)
        if self.bert:
            return self.classifier(self.drop(torch.tanh(self.pooler(h[:, 0]))))
        h = self.final_ln(h)
        m = mask.unsqueeze(-1)
        return self.classifier((h * m).sum(1) / m.sum(1).clamp(min=1))


def apply_method(model, method):
    mid, params = method["id"], method.get("params", {})
    if mid == "sft":
        return [p for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = list(model.classifier.parameters())
    d = model.token.embedding_dim
    if mid == "lora":
        r = params.get("rank", 8)
        for layer in model.layers:
            layer.attn.query = Lora(layer.attn.query, r)
            layer.attn.value = Lora(layer.attn.value, r)
            trainable += [layer.attn.query.a, layer.attn.query.b, layer.attn.value.a, layer.attn.value.b]
    elif mid == "ptuning-v2":
        P = params.get("prefixLength", 16)
        for layer in model.layers:
            pk, pv = nn.Parameter(torch.randn(P, d) * 0.02), nn.Parameter(torch.randn(P, d) * 0.02)
            layer.attn.register_parameter("prefix_key", pk)
            layer.attn.register_parameter("prefix_value", pv)
            layer.attn.prefix = (pk, pv, nn.Dropout(0.1))
            trainable += [pk, pv]
    elif mid == "freeze":
        for layer in model.layers[-params.get("trainableLayers", 1):]:
            trainable += list(layer.up.parameters()) + list(layer.down.parameters())
    else:
        raise SystemExit(f"torch_peer: unknown method '{mid}'; allowed: {', '.join(RATES)}")
    for p in trainable:
        p.requires_grad_(True)
    return trainable


def time_steps(m, method, steps):
    torch.manual_seed(1)
    model = Encoder(m)
    trainable = apply_method(model, method)
    model.train()
    vocab = model.token.num_embeddings
    B, S = m.get("batch", 32), m["seq"]
    batches = [(torch.randint(5, vocab, (B, S)), torch.randint(0, LABELS, (B,))) for _ in range(8)]
    mask = torch.ones(B, S)
    opt = torch.optim.AdamW(trainable, lr=RATES[method["id"]], weight_decay=0.01)
    warm = max(1, int(0.1 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    wall, cpu = [], []
    for s in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        ids, labels = batches[s % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, mask), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        sched.step()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu, B * S


def main():
    spec = json.load(sys.stdin)
    warmup, steps = spec["warmup"], spec["steps"]
    for m in spec["models"]:
        for threads in spec["threads"]:
            torch.set_num_threads(threads)
            many = steps
            for method in spec["methods"]:
                wall, cpu, tokens = time_steps(m, method, warmup + many)
                if method is spec["methods"][0] and many == steps and statistics.median(wall[warmup:]) > spec.get("slowStepMs", 3000):
                    many = min(steps, spec.get("slowSteps", 5))  # later methods of this model: fewer steps
                ms = statistics.median(wall[warmup:])
                row = {
                    "model": m["name"], "method": method["label"], "threads": threads,
                    "msPerStep": round(ms, 1), "tokensPerSec": round(1000 * tokens / ms),
                    "cpuMsPerStep": round(statistics.median(cpu[warmup:]), 1), "steps": len(wall) - warmup,
                    "torch": torch.__version__,
                }
                print(json.dumps(row), flush=True)
                print(f"perf: torch  {m['name']:<16} {method['label']:<15} {threads} thr {ms:8.1f} ms/step {row['tokensPerSec']:6d} tok/s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
