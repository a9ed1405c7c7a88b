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
  llama - the SmolLM-135M-shaped decoder of tunelab perf's decoder rows (the spec carries its
         config.json): pre-RMSNorm blocks, rotary q/k, grouped-query causal attention, SwiGLU,
         tied LM head; the step is next-token cross-entropy over positions 0..S-2.
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
Training step: AdamW (weight decay 0.01 on matrices, none on vectors as in tunelab; each method's
tunelab default rate; multi-tensor foreach updates), gradient clipping at norm 1 (multi-tensor),
linear warm-up (10%) and decay, 8 labels, full-length random token rows. Written as a careful
PyTorch user would: query/key/value in one linear, GELU through the fused silu kernel, masks and
rotary tables built once. Each row names the BLAS torch loaded (`blas`): netlib's reference
libblas (what python3-torch pulls in without libopenblas0-pthread) is ~5x slower at GEMMs, and so
is OpenBLAS 0.3.21 on a CPU newer than its tables unless OPENBLAS_CORETYPE names its kernels
(set here from /proc/cpuinfo when unset: Cooperlake, SkylakeX or Haswell).

With --device (cpu or cuda; used by tools/gpu-check/run.sh on the GPU machine) it also runs in
another precision and with Hugging Face's own implementations, and each row says which:
  --device cuda --dtypes fp32,bf16 --impl peft,own
  dtypes: fp32 (true float32: TF32 matmuls stay off, PyTorch's default), bf16 (torch.autocast to
          bfloat16 around the forward pass and the loss; weights and AdamW state stay float32)
  impl:   own  - the encoders above, on the device
          peft - for the bert family: transformers' BertForSequenceClassification (random init,
                 the same config) with PEFT's LoRA (r, alpha 16, dropout 0.05 on query and value)
                 and PEFT's prefix tuning (P virtual tokens, no projection: P-tuning v2); full
                 fine-tuning and Freeze on the same transformers model. transformers and peft
                 are imported only here; where one is missing, or a cell fails with it, the row
                 is the own implementation's with a note saying why.
Rows then add: device, deviceName, dtype, impl (and implRequested), maxMemoryBytes
(torch.cuda.max_memory_allocated over the cell, model and optimizer state included; null on the
CPU), finalLoss, trainableParams, the transformers and peft versions used, and a note.
Without --device the output is exactly the CPU format above.
"""
import argparse
import contextlib
import gc
import json
import math
import os
import statistics
import sys
import time


def openblas_coretype():
    """OpenBLAS's kernel family for this CPU, set before torch loads OpenBLAS. Debian's 0.3.21 does
    not know CPUs newer than its tables (Sapphire Rapids) and falls back to its generic Prescott
    kernels, ~5x slower at GEMMs than its AVX-512 ones (measured: 33-41 against 180-200 GFLOP/s per
    core); a careful user sets OPENBLAS_CORETYPE, which an explicit setting overrides."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return os.environ["OPENBLAS_CORETYPE"] or "auto"
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return "auto"
    core = "Cooperlake" if "avx512_bf16" in flags else "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None
    if core is None:
        return "auto"
    os.environ["OPENBLAS_CORETYPE"] = core
    return core


CORETYPE = openblas_coretype()

import torch  # noqa: E402 (after OPENBLAS_CORETYPE: OpenBLAS reads it when torch loads it)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

LABELS = 8
ZOO_VOCAB = 4096
MASKED = -1e9
RATES = {"sft": 1e-3, "lora": 3e-3, "ptuning-v2": 1e-2, "freeze": 3e-3}


def gelu_sigmoid(x):
    """x * sigmoid(1.702 x) as silu(1.702 x) / 1.702: one fused kernel each way (silu and its
    backward) where the plain chain runs three forward and five backward."""
    return F.silu(x * 1.702) * (1 / 1.702)


def rms_norm(x, weight, eps):
    """LlamaRMSNorm (torch 1.13 has no fused RMSNorm): x * rsqrt(mean(x^2) + eps) * weight."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def blas_library():
    """The BLAS this process loaded (torch's GEMMs on the CPU): netlib's reference libblas is ~5x
    slower than OpenBLAS, which would make the peer a straw man."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and ".so" in line}
    for lib in sorted(libs):
        name = lib.rsplit("/", 1)[-1]
        if "openblas" in name or "mkl" in name or "blis" in name:
            return name
    return next((lib for lib in sorted(libs)), "none")


def clip_grad_norm(grads, max_norm):
    """clip_grad_norm_ as torch 2.x's foreach=True computes it (one multi-tensor norm and scale
    instead of a Python loop over parameters); torch 1.13's own loops."""
    if hasattr(torch, "_foreach_norm"):
        total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        torch._foreach_mul_(grads, torch.clamp(max_norm / (total + 1e-6), max=1.0).item())
        return total
    return torch.nn.utils.clip_grad_norm_(grads, max_norm)


class Lora(nn.Module):
    """The low-rank update alone: (alpha / r) B A drop(x), B = 0 at init (added to the base output)."""

    def __init__(self, d_in, d_out, r, alpha=16.0, p=0.05):
        super().__init__()
        self.a = nn.Parameter(torch.randn(r, d_in) / math.sqrt(d_in))
        self.b = nn.Parameter(torch.zeros(d_out, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return F.linear(F.linear(self.drop(x), self.a), self.b * self.scale)


class Attention(nn.Module):
    """Query, key and value in one [d, 3d] linear (nanoGPT's c_attn: one GEMM each way instead
    of three; the same weights as three d x d linears side by side)."""

    def __init__(self, d, heads, p):
        super().__init__()
        self.h = heads
        self.qkv, self.output = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.drop = nn.Dropout(p)
        self.lora_query = self.lora_value = None  # LoRA updates of the query and value slices
        self.prefix = None  # (key [P, d], value [P, d], dropout) for P-tuning v2

    def forward(self, x, bias):
        B, S, d = x.shape
        H, dh = self.h, d // self.h
        q, k, v = self.qkv(x).split(d, -1)
        if self.lora_query is not None:
            q = q + self.lora_query(x)
            v = v + self.lora_value(x)
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


class LlamaBlock(nn.Module):
    """One Llama decoder layer as transformers computes it: pre-RMSNorm, rotary q/k, grouped-query
    causal attention (repeat_kv by expand, no SDPA in torch 1.13), SwiGLU MLP; no biases."""

    def __init__(self, c):
        super().__init__()
        d, self.H, self.G = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd, self.eps = d // self.H, c["rms_norm_eps"]
        f = c["intermediate_size"]
        self.ln1, self.ln2 = nn.Parameter(torch.ones(d)), nn.Parameter(torch.ones(d))
        self.q_proj = nn.Linear(d, self.H * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.G * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.G * self.hd, bias=False)
        self.o_proj = nn.Linear(self.H * self.hd, d, bias=False)
        self.gate_proj, self.up_proj = nn.Linear(d, f, bias=False), nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)
        self.lora_q = self.lora_v = None
        self.prefix = None  # (key [P, G*hd], value [P, G*hd], dropout): PEFT's past key/values

    def attention(self, x, cos, sin, bias):
        B, S, _ = x.shape
        H, G, hd = self.H, self.G, self.hd
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if self.lora_q is not None:
            q = q + self.lora_q(x)
            v = v + self.lora_v(x)
        q = q.view(B, S, H, hd).transpose(1, 2)
        k = k.view(B, S, G, hd).transpose(1, 2)
        v = v.view(B, S, G, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.prefix is not None:
            pk, pv, pdrop = self.prefix
            P = pk.shape[0]
            k = torch.cat([pdrop(pk).view(1, P, G, hd).transpose(1, 2).expand(B, G, P, hd), k], 2)
            v = torch.cat([pdrop(pv).view(1, P, G, hd).transpose(1, 2).expand(B, G, P, hd), v], 2)
        K = k.shape[2]
        k = k[:, :, None].expand(B, G, H // G, K, hd).reshape(B, H, K, hd)
        v = v[:, :, None].expand(B, G, H // G, K, hd).reshape(B, H, K, hd)
        probs = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(hd)) + bias, -1)
        return self.o_proj((probs @ v).transpose(1, 2).reshape(B, S, H * hd))

    def forward(self, h, cos, sin, bias):
        h = h + self.attention(rms_norm(h, self.ln1, self.eps), cos, sin, bias)
        n = rms_norm(h, self.ln2, self.eps)
        return h + self.down_proj(F.silu(self.gate_proj(n)) * self.up_proj(n))


def rotate_half(x):
    x1, x2 = x.chunk(2, -1)
    return torch.cat((-x2, x1), -1)


class Llama(nn.Module):
    """A random Llama (SmolLM-135M's config from the spec) with its tied LM head; forward returns
    the mean next-token cross-entropy over positions 0..S-2. The rotary tables and the causal
    mask are built once (buffers), not per step."""

    def __init__(self, m):
        super().__init__()
        c = m["config"]
        d, S, self.eps = c["hidden_size"], m["seq"], c["rms_norm_eps"]
        self.token = nn.Embedding(c["vocab_size"], d)
        self.layers = nn.ModuleList(LlamaBlock(c) for _ in range(c["num_hidden_layers"]))
        self.norm = nn.Parameter(torch.ones(d))
        for mod in self.modules():
            if isinstance(mod, (nn.Linear, nn.Embedding)):
                nn.init.normal_(mod.weight, std=c["initializer_range"])
        hd = d // c["num_attention_heads"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        ang = torch.outer(torch.arange(S, dtype=torch.float64), inv)
        ang = torch.cat([ang, ang], -1)
        self.register_buffer("cos", ang.cos().float(), persistent=False)
        self.register_buffer("sin", ang.sin().float(), persistent=False)
        self.set_prefix(0)

    def set_prefix(self, P):
        S = self.cos.shape[0]
        causal = torch.full((S, S), MASKED).triu(1)
        self.register_buffer("bias", torch.cat([torch.zeros(S, P), causal], 1), persistent=False)

    def forward(self, ids):
        h = self.token(ids)
        for layer in self.layers:
            h = layer(h, self.cos, self.sin, self.bias)
        h = rms_norm(h[:, :-1], self.norm, self.eps)
        logits = F.linear(h, self.token.weight)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))


def apply_llama_method(model, method):
    """The decoder's trainable sets, as tunelab's: everything; LoRA on q_proj and v_proj (r, alpha
    16, dropout 0.05); P key/value prefixes per layer in key/value-head space (dropout 0.1);
    Freeze: the last layer's gate/up/down. No head of its own: the tied LM head trains only in full."""
    mid, params = method["id"], method.get("params", {})
    if mid == "sft":
        return list(model.parameters())
    for p in model.parameters():
        p.requires_grad_(False)
    trainable = []
    d = model.token.embedding_dim
    if mid == "lora":
        r = params.get("rank", 8)
        for layer in model.layers:
            layer.lora_q = Lora(d, layer.q_proj.out_features, r)
            layer.lora_v = Lora(d, layer.v_proj.out_features, r)
            trainable += [*layer.lora_q.parameters(), *layer.lora_v.parameters()]
    elif mid == "ptuning-v2":
        P = params.get("prefixLength", 16)
        model.set_prefix(P)
        for layer in model.layers:
            kv = layer.k_proj.out_features
            pk, pv = nn.Parameter(torch.randn(P, kv) * 0.02), nn.Parameter(torch.randn(P, kv) * 0.02)
            layer.register_parameter("prefix_key", pk)
            layer.register_parameter("prefix_value", pv)
            layer.prefix = (pk, pv, nn.Dropout(0.1))
            trainable += [pk, pv]
    elif mid == "freeze":
        for layer in model.layers[-params.get("trainableLayers", 1):]:
            trainable += [layer.gate_proj.weight, layer.up_proj.weight, layer.down_proj.weight]
    else:
        raise SystemExit(f"torch_peer: unknown method '{mid}'; allowed: {', '.join(RATES)}")
    for p in trainable:
        p.requires_grad_(True)
    return trainable



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
            layer.attn.lora_query, layer.attn.lora_value = Lora(d, d, r), Lora(d, d, r)
            trainable += [*layer.attn.lora_query.parameters(), *layer.attn.lora_value.parameters()]
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


def adamw(trainable, lr):
    """AdamW with decay on matrices only (tunelab's rule, nanoGPT's groups), multi-tensor updates."""
    groups = [{"params": [p for p in trainable if p.dim() >= 2], "weight_decay": 0.01},
              {"params": [p for p in trainable if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, foreach=True)


def time_steps(m, method, steps):
    torch.manual_seed(1)
    decoder = m.get("family") == "llama"
    model = Llama(m) if decoder else Encoder(m)
    trainable = (apply_llama_method if decoder else apply_method)(model, method)
    model.train()
    vocab = model.token.num_embeddings
    B, S = m.get("batch", 32), m["seq"]
    batches = [(torch.randint(5, vocab, (B, S)), torch.randint(0, LABELS, (B,))) for _ in range(8)]
    mask = torch.ones(B, S)
    opt = adamw(trainable, RATES[method["id"]])
    warm = max(1, int(0.1 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    wall, cpu = [], []
    for s in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        ids, labels = batches[s % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = model(ids) if decoder else F.cross_entropy(model(ids, mask), labels)
        loss.backward()
        clip_grad_norm([p.grad for p in trainable], 1.0)
        opt.step()
        sched.step()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu, B * S


def main():
    spec = json.load(sys.stdin)
    warmup, steps = spec["warmup"], spec["steps"]
    blas = blas_library()
    if "openblas" in blas:
        blas = f"{blas} ({CORETYPE})"
    if "openblas" not in blas and "mkl" not in blas and "blis" not in blas:
        print(f"torch_peer: warning: torch's GEMMs run on {blas} (netlib's reference BLAS?), far slower than OpenBLAS: "
              "apt-get install libopenblas0-pthread for an honest peer", file=sys.stderr, flush=True)
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
                    "torch": torch.__version__, "blas": blas,
                }
                print(json.dumps(row), flush=True)
                print(f"perf: torch  {m['name']:<16} {method['label']:<15} {threads} thr {ms:8.1f} ms/step {row['tokensPerSec']:6d} tok/s", file=sys.stderr, flush=True)


# ---- --device: cuda (or cpu), bf16 autocast, transformers + PEFT ----

HF_BERT = dict(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
               hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, hidden_act="gelu")


def first_line(e):
    return (str(e).strip().split("\n") or [""])[0][:300] or type(e).__name__


def hf_build(m, method):
    """transformers' BERT with the method applied the way its users would: PEFT for LoRA and prefix
    tuning, requires_grad for full fine-tuning and Freeze. Returns (model, trainable, impl, versions)."""
    import transformers
    from transformers import BertConfig, BertForSequenceClassification
    cfg = BertConfig(hidden_size=m["hidden"], num_hidden_layers=m["layers"], num_attention_heads=m["heads"],
                     intermediate_size=4 * m["hidden"], num_labels=LABELS, **HF_BERT)
    model = BertForSequenceClassification(cfg)
    versions = {"transformers": transformers.__version__}
    mid, params = method["id"], method.get("params", {})
    if mid in ("lora", "ptuning-v2"):
        import peft
        from peft import LoraConfig, PrefixTuningConfig, TaskType, get_peft_model
        versions["peft"] = peft.__version__
        if mid == "lora":
            conf = LoraConfig(task_type=TaskType.SEQ_CLS, r=params.get("rank", 8), lora_alpha=16, lora_dropout=0.05,
                              target_modules=["query", "value"])
        else:
            conf = PrefixTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=params.get("prefixLength", 16),
                                      prefix_projection=False)
        model = get_peft_model(model, conf)
        impl = "peft"
    elif mid == "sft":
        impl = "transformers"
    elif mid == "freeze":
        for p in model.parameters():
            p.requires_grad_(False)
        keep = list(model.classifier.parameters())
        for layer in model.bert.encoder.layer[-params.get("trainableLayers", 1):]:
            keep += list(layer.intermediate.dense.parameters()) + list(layer.output.dense.parameters())
        for p in keep:
            p.requires_grad_(True)
        impl = "transformers"
    else:
        raise SystemExit(f"torch_peer: unknown method '{mid}'; allowed: {', '.join(RATES)}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    return model, trainable, impl, versions


def run_cell(m, method, steps, device, dtype, impl):
    """One (model, method) on one device, precision and implementation: wall and CPU ms per step,
    the peak of torch.cuda.max_memory_allocated, the last loss."""
    torch.manual_seed(1)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    vocab = 30522 if m.get("family") == "bert" else ZOO_VOCAB
    B, S = m.get("batch", 32), m["seq"]
    batches = [(torch.randint(5, vocab, (B, S)), torch.randint(0, LABELS, (B,))) for _ in range(8)]
    extra = {}
    if impl == "peft":
        model, trainable, used, extra = hf_build(m, method)
    else:
        model = Encoder(m)
        trainable = apply_method(model, method)
        used = "own"
    model.to(device)
    model.train()
    batches = [(ids.to(device), labels.to(device)) for ids, labels in batches]
    mask = torch.ones(B, S, device=device)
    if used == "own":
        forward = lambda ids: model(ids, mask)  # noqa: E731
    else:
        types = torch.zeros(B, S, dtype=torch.long, device=device)
        hf_mask = torch.ones(B, S, dtype=torch.long, device=device)  # transformers' own mask type (PEFT prepends to it)
        forward = lambda ids: model(input_ids=ids, attention_mask=hf_mask, token_type_ids=types).logits  # noqa: E731
    opt = torch.optim.AdamW(trainable, lr=RATES[method["id"]], weight_decay=0.01)
    warm = max(1, int(0.1 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if dtype == "bf16" else contextlib.nullcontext
    wall, cpu = [], []
    loss = None
    for s in range(steps):
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        ids, labels = batches[s % len(batches)]
        opt.zero_grad(set_to_none=True)
        with autocast():
            logits = forward(ids)
        loss = F.cross_entropy(logits.float(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        sched.step()
        sync()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    peak = torch.cuda.max_memory_allocated(device) if cuda else None
    final = float(loss)
    extra["trainableParams"] = sum(p.numel() for p in trainable)
    attn = getattr(getattr(model, "config", None), "_attn_implementation", None) if used != "own" else None
    del model, opt, trainable, batches
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return wall, cpu, B * S, peak, final, used, extra, attn


def main_device(args):
    spec = json.load(sys.stdin)
    warmup, steps = spec["warmup"], spec["steps"]
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"torch_peer: --device cuda: torch {torch.__version__} sees no CUDA device", file=sys.stderr)
        sys.exit(2)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    for m in spec["models"]:
        for impl in args.impl:
            for dtype in args.dtypes:
                many = steps
                for method in spec["methods"]:
                    row = {"model": m["name"], "method": method["label"], "threads": torch.get_num_threads(),
                           "device": device.type, "deviceName": name, "dtype": dtype, "impl": impl, "implRequested": impl,
                           "matmulPrecision": torch.get_float32_matmul_precision(), "torch": torch.__version__}
                    notes = []
                    want = impl
                    if want == "peft" and m.get("family") != "bert":
                        notes.append("the zoo encoder is not a transformers model: own implementation")
                        want = "own"
                    try:
                        cell = run_cell(m, method, warmup + many, device, dtype, want)
                    except ImportError as e:
                        notes.append(f"{getattr(e, 'name', None) or 'transformers/peft'} is not installed ({first_line(e)}): own implementation")
                        cell = None
                    except Exception as e:  # a PEFT or transformers version that does not fit: say so, measure our own
                        if want == "own":
                            row["error"] = first_line(e)
                            print(json.dumps(row), flush=True)
                            print(f"perf: torch  {m['name']:<16} {method['label']:<15} {dtype} {impl}: failed: {row['error']}", file=sys.stderr, flush=True)
                            continue
                        notes.append(f"{want} failed ({type(e).__name__}: {first_line(e)}): own implementation")
                        cell = None
                    if cell is None:
                        gc.collect()
                        if device.type == "cuda":
                            torch.cuda.empty_cache()
                        try:
                            cell = run_cell(m, method, warmup + many, device, dtype, "own")
                        except Exception as e:
                            row["error"] = first_line(e)
                            row["note"] = "; ".join(notes)
                            print(json.dumps(row), flush=True)
                            continue
                    wall, cpu, tokens, peak, final, used, extra, attn = cell
                    if method is spec["methods"][0] and many == steps and statistics.median(wall[warmup:]) > spec.get("slowStepMs", 3000):
                        many = min(steps, spec.get("slowSteps", 5))
                    ms = statistics.median(wall[warmup:])
                    row.update({
                        "impl": used, "msPerStep": round(ms, 1), "tokensPerSec": round(1000 * tokens / ms),
                        "cpuMsPerStep": round(statistics.median(cpu[warmup:]), 1), "steps": len(wall) - warmup,
                        "maxMemoryBytes": peak, "finalLoss": final, **extra,
                    })
                    if attn:
                        row["attention"] = attn
                    if notes:
                        row["note"] = "; ".join(notes)
                    print(json.dumps(row), flush=True)
                    print(f"perf: torch  {m['name']:<16} {method['label']:<15} {dtype} {used:<12} {ms:8.1f} ms/step {row['tokensPerSec']:7d} tok/s"
                          + (f" {peak / 2**20:9.0f} MiB" if peak is not None else ""), file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch peer of tunelab perf (spec on stdin, JSON rows on stdout)")
    p.add_argument("--device", help="cpu or cuda: rows in the device format (precision, implementation, memory)")
    p.add_argument("--dtypes", default="fp32,bf16", help="with --device: comma list of fp32, bf16 (autocast)")
    p.add_argument("--impl", default="peft", help="with --device: comma list of peft (transformers + PEFT where they apply), own")
    a = p.parse_args(argv)
    if a.device is None:
        return a
    if a.device not in ("cpu", "cuda") and not a.device.startswith("cuda:"):
        p.error(f"--device: '{a.device}'; allowed: cpu, cuda, cuda:N")
    a.dtypes = [x.strip() for x in a.dtypes.split(",") if x.strip()]
    a.impl = [x.strip() for x in a.impl.split(",") if x.strip()]
    if not a.dtypes or any(x not in ("fp32", "bf16") for x in a.dtypes):
        p.error(f"--dtypes: '{','.join(a.dtypes)}'; allowed: fp32, bf16")
    if not a.impl or any(x not in ("peft", "own") for x in a.impl):
        p.error(f"--impl: '{','.join(a.impl)}'; allowed: peft, own")
    return a


if __name__ == "__main__":
    args = parse_args(sys.argv[1:])
    if args.device is None:
        main()
    else:
        main_device(args)
