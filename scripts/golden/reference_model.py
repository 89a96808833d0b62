"""Llama-family decoder (Llama / Qwen2) written from PyTorch primitives, f64.

Independent of the TypeScript engine; follows Hugging Face transformers'
semantics (LlamaForCausalLM / Qwen2ForCausalLM, eager attention).

Shape legend: B batch, T sequence length, C hidden size, H query heads,
KV key/value heads, D head dim, F intermediate size, V vocab, r LoRA rank.
Weights use HF's [out, in] layout: y = x Wᵀ (+ b).
"""
import math

import torch

LINEAR_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def head_dim_of(config):
    return config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]


def default_inv_freq(config):
    """inv_freq[i] = 1 / theta^(2i/D), i = 0..D/2-1 (f64)."""
    dim = head_dim_of(config)
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    return 1.0 / (float(config["rope_theta"]) ** exponents)


def llama3_inv_freq(config):
    """transformers' _compute_llama3_parameters: long wavelengths divided by
    `factor`, short ones kept, the band between blended linearly in 1/wavelen."""
    scaling = config["rope_scaling"]
    inv_freq = default_inv_freq(config)
    factor = scaling["factor"]
    low_freq_factor = scaling["low_freq_factor"]
    high_freq_factor = scaling["high_freq_factor"]
    old_context_len = scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
    return torch.where(is_medium, smoothed, scaled)


def rope_inv_freq(config):
    scaling = config.get("rope_scaling")
    if scaling is None:
        return default_inv_freq(config)
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "llama3":
        return llama3_inv_freq(config)
    raise ValueError(f"rope_inv_freq: unsupported rope_scaling type {kind!r}")


def rotate_half(x):
    """Half-split convention: (x1, x2) -> (-x2, x1) with x1 = x[..., :D/2]."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin):
    """x is (B,heads,T,D); cos, sin are (T,D) = cat(angles, angles)."""
    return x * cos + rotate_half(x) * sin


def rms_norm(x, weight, eps):
    """x is (B,T,C), weight is (C,): weight * x / sqrt(mean(x²) + eps)."""
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


class Reference:
    """weights: {hf_name: f64 tensor}; lora: None or {peft_key: f64 tensor}."""

    def __init__(self, config, weights, lora=None, lora_scale=None):
        self.config = config
        self.weights = weights
        self.lora = lora
        self.lora_scale = lora_scale
        self.inv_freq = rope_inv_freq(config)

    def lm_head_weight(self):
        if self.config["tie_word_embeddings"]:
            return self.weights["model.embed_tokens.weight"]
        return self.weights["lm_head.weight"]

    def linear(self, x, module_path):
        """x is (..., in); W is (out,in); LoRA A is (r,in), B is (out,r).
        y = x Wᵀ + b + s·(x Aᵀ) Bᵀ  (PEFT Linear, dropout 0)."""
        y = x @ self.weights[module_path + ".weight"].T
        bias = self.weights.get(module_path + ".bias")
        if bias is not None:
            y = y + bias
        if self.lora is not None:
            key = "base_model.model." + module_path
            a = self.lora.get(key + ".lora_A.weight")
            if a is not None:
                b = self.lora[key + ".lora_B.weight"]
                y = y + self.lora_scale * ((x @ a.T) @ b.T)
        return y

    def attention(self, x, layer, attention_mask):
        """x is (B,T,C); attention_mask is (B,T) with 1 = real token.
        Positions are 0..T-1 for every row (HF default when no position_ids are
        passed: right padding keeps real tokens at 0..len-1)."""
        cfg = self.config
        batch, seq, _ = x.shape
        heads, kv_heads, dim = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
        prefix = f"model.layers.{layer}.self_attn."
        q = self.linear(x, prefix + "q_proj").view(batch, seq, heads, dim).transpose(1, 2)
        k = self.linear(x, prefix + "k_proj").view(batch, seq, kv_heads, dim).transpose(1, 2)
        v = self.linear(x, prefix + "v_proj").view(batch, seq, kv_heads, dim).transpose(1, 2)

        positions = torch.arange(seq, dtype=torch.float64)
        angles = positions[:, None] * self.inv_freq[None, :]  # (T, D/2)
        emb = torch.cat((angles, angles), dim=-1)  # (T, D)
        q = apply_rope(q, emb.cos(), emb.sin())
        k = apply_rope(k, emb.cos(), emb.sin())

        # GQA: query head h reads key/value head h // (H / KV).
        group = heads // kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)

        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dim)  # (B,H,T,T)
        causal = torch.ones(seq, seq, dtype=torch.bool).tril()
        keys_real = attention_mask.bool()[:, None, None, :]  # (B,1,1,T)
        allowed = causal[None, None] & keys_real
        scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        out = (probs @ v).transpose(1, 2).reshape(batch, seq, heads * dim)
        return self.linear(out, prefix + "o_proj")

    def mlp(self, x, layer):
        prefix = f"model.layers.{layer}.mlp."
        gate = self.linear(x, prefix + "gate_proj")
        up = self.linear(x, prefix + "up_proj")
        return self.linear(torch.nn.functional.silu(gate) * up, prefix + "down_proj")

    def forward(self, input_ids, attention_mask, keep_hidden=False):
        """input_ids, attention_mask are (B,T) int; returns logits (B,T,V) and,
        when asked, {name: (B,T,C)} residual-stream snapshots."""
        cfg = self.config
        eps = cfg["rms_norm_eps"]
        hidden = self.weights["model.embed_tokens.weight"][input_ids.long()]
        snapshots = {"hidden.embed": hidden}
        for layer in range(cfg["num_hidden_layers"]):
            prefix = f"model.layers.{layer}."
            normed = rms_norm(hidden, self.weights[prefix + "input_layernorm.weight"], eps)
            hidden = hidden + self.attention(normed, layer, attention_mask)
            normed = rms_norm(hidden, self.weights[prefix + "post_attention_layernorm.weight"], eps)
            hidden = hidden + self.mlp(normed, layer)
            snapshots[f"hidden.layer{layer}"] = hidden
        hidden = rms_norm(hidden, self.weights["model.norm.weight"], eps)
        snapshots["hidden.final_norm"] = hidden
        logits = hidden @ self.lm_head_weight().T
        return (logits, snapshots) if keep_hidden else logits


def causal_lm_loss(logits, labels):
    """HF shift: logits[:, t] predicts labels[:, t+1]; mean cross-entropy over
    targets != -100. logits is (B,T,V), labels is (B,T)."""
    vocab = logits.shape[-1]
    shift_logits = logits[:, :-1].reshape(-1, vocab)
    shift_labels = labels[:, 1:].reshape(-1).long()
    return torch.nn.functional.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="mean")


def cosine_with_min_lr_lambda(step, warmup_steps, total_steps, min_lr_rate):
    """transformers' get_cosine_with_min_lr_schedule_with_warmup (num_cycles 0.5)."""
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    factor = 0.5 * (1.0 + math.cos(math.pi * progress))
    return max(0.0, factor * (1 - min_lr_rate) + min_lr_rate)


def greedy(model, prompt_ids, new_tokens):
    """Unpadded single prompt; argmax (lowest index on ties) by full recompute.
    Returns (ids, margins) where margin = top1 - top2 logit at each step."""
    ids = list(prompt_ids)
    produced, margins = [], []
    for _ in range(new_tokens):
        x = torch.tensor([ids], dtype=torch.int64)
        logits = model.forward(x, torch.ones_like(x))[0, -1]
        top = torch.topk(logits, 2)
        best = int(torch.nonzero(logits == logits.max())[0, 0])  # lowest index on ties
        produced.append(best)
        margins.append(float(top.values[0] - top.values[1]))
        ids.append(best)
    return produced, margins
