#!/usr/bin/env python3
"""Writes the golden fixtures the TypeScript model engine is checked against.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 scripts/golden/make_golden.py

Weights are drawn in f32 (what the TS side loads); every reference computation
then runs in f64 on those exact f32 values, and results are stored as f32.
See scripts/golden/README.md for the file contents and the semantics.
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep scripts/golden free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import (  # noqa: E402
    LINEAR_TARGETS, Reference, causal_lm_loss, cosine_with_min_lr_lambda, greedy, head_dim_of, rope_inv_freq,
)
from safetensors_io import load_file, save_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "tests", "fixtures", "golden")

PAD_ID, BOS_ID = 0, 1
LORA_R, LORA_ALPHA = 4, 8
TRAIN = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01, "max_grad_norm": 0.5,
         "total_steps": 3, "warmup_ratio": 0.34, "min_lr_rate": 0.5}
SEQ_LENGTHS = [12, 9, 5]  # real tokens per row; right-padded to 12
PROMPT_LENGTHS = [4, 3, 2]  # labels are -100 on positions < prompt length (and on padding)
GREEDY_PROMPT_LENGTHS = [5, 3]
GREEDY_NEW_TOKENS = 6
WEIGHT_STD = 0.1
LORA_STD = 0.1


def base_config(arch, model_type, **fields):
    config = {
        "architectures": [arch], "model_type": model_type, "attention_dropout": 0.0,
        "bos_token_id": BOS_ID, "eos_token_id": 2, "hidden_act": "silu", "initializer_range": 0.02,
        "num_hidden_layers": 2, "rope_scaling": None, "torch_dtype": "float32",
        "transformers_version": "4.46.0", "use_cache": True,
    }
    config.update(fields)
    return dict(sorted(config.items()))


CASES = {
    "llama-gqa-tied": base_config(
        "LlamaForCausalLM", "llama", attention_bias=False, mlp_bias=False, pretraining_tp=1,
        hidden_size=48, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2, head_dim=12,
        vocab_size=80, max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=True),
    "qwen2-bias-untied": base_config(
        "Qwen2ForCausalLM", "qwen2", use_sliding_window=False, sliding_window=None, max_window_layers=2,
        hidden_size=32, intermediate_size=96, num_attention_heads=4, num_key_value_heads=1,
        vocab_size=96, max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=False),
    "llama3-rope-scaling": base_config(
        "LlamaForCausalLM", "llama", attention_bias=False, mlp_bias=False, pretraining_tp=1,
        hidden_size=32, intermediate_size=80, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
        vocab_size=64, max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64, "rope_type": "llama3"},
        eos_token_id=[2, 3], tie_word_embeddings=False),
}


def linear_shapes(config):
    """{module suffix: (out, in)} for one decoder layer."""
    c, f, d = config["hidden_size"], config["intermediate_size"], head_dim_of(config)
    h, kv = config["num_attention_heads"], config["num_key_value_heads"]
    return {"self_attn.q_proj": (h * d, c), "self_attn.k_proj": (kv * d, c), "self_attn.v_proj": (kv * d, c),
            "self_attn.o_proj": (c, h * d), "mlp.gate_proj": (f, c), "mlp.up_proj": (f, c),
            "mlp.down_proj": (c, f)}


def make_weights(config, gen):
    """Random f32 weights with HF names and [out, in] layout."""
    def normal(*shape, mean=0.0, std=WEIGHT_STD):
        return (mean + std * torch.randn(*shape, generator=gen)).to(torch.float32)

    c, v = config["hidden_size"], config["vocab_size"]
    weights = {"model.embed_tokens.weight": normal(v, c)}
    has_qkv_bias = config["model_type"] == "qwen2"
    for layer in range(config["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        # Norm weights near 1 but not 1, so a loader that ignores them fails.
        weights[prefix + "input_layernorm.weight"] = normal(c, mean=1.0)
        weights[prefix + "post_attention_layernorm.weight"] = normal(c, mean=1.0)
        for suffix, (out_dim, in_dim) in linear_shapes(config).items():
            weights[prefix + suffix + ".weight"] = normal(out_dim, in_dim)
            if has_qkv_bias and suffix.split(".")[-1] in ("q_proj", "k_proj", "v_proj"):
                weights[prefix + suffix + ".bias"] = normal(out_dim)
    weights["model.norm.weight"] = normal(c, mean=1.0)
    if not config["tie_word_embeddings"]:
        weights["lm_head.weight"] = normal(v, c)
    return weights


def make_lora(config, gen):
    """PEFT keys; A (r,in) and B (out,r) both random non-zero."""
    lora = {}
    for layer in range(config["num_hidden_layers"]):
        for suffix, (out_dim, in_dim) in linear_shapes(config).items():
            key = f"base_model.model.model.layers.{layer}.{suffix}"
            lora[key + ".lora_A.weight"] = (LORA_STD * torch.randn(LORA_R, in_dim, generator=gen)).float()
            lora[key + ".lora_B.weight"] = (LORA_STD * torch.randn(out_dim, LORA_R, generator=gen)).float()
    return lora


def make_batch(config, gen):
    """Right-padded batch (B,T) with completion-only labels."""
    seq = max(SEQ_LENGTHS)
    input_ids = torch.full((len(SEQ_LENGTHS), seq), PAD_ID, dtype=torch.int32)
    attention_mask = torch.zeros_like(input_ids)
    labels = torch.full_like(input_ids, -100)
    for row, (length, prompt) in enumerate(zip(SEQ_LENGTHS, PROMPT_LENGTHS)):
        ids = torch.randint(4, config["vocab_size"], (length,), generator=gen, dtype=torch.int32)
        ids[0] = BOS_ID
        input_ids[row, :length] = ids
        attention_mask[row, :length] = 1
        labels[row, prompt:length] = ids[prompt:]
    return input_ids, attention_mask, labels


def f64(tensors, grad=False):
    return {k: v.double().clone().requires_grad_(grad) for k, v in tensors.items()}


def np32(t):
    return t.detach().to(torch.float32).numpy()


def adapter_config(case):
    return {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": f"tests/fixtures/golden/{case}",
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layers_pattern": None, "layers_to_transform": None, "lora_alpha": LORA_ALPHA, "lora_dropout": 0.0,
        "modules_to_save": None, "peft_type": "LORA", "r": LORA_R, "rank_pattern": {}, "revision": None,
        "target_modules": list(LINEAR_TARGETS), "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False,
    }


def train_lora(config, weights64, lora32, batch):
    """3 steps of torch AdamW + clip_grad_norm_ + LambdaLR(cosine with min lr)."""
    input_ids, attention_mask, labels = batch
    params = f64(lora32, grad=True)
    keys = sorted(params)
    optimizer = torch.optim.AdamW([params[k] for k in keys], lr=TRAIN["lr"], betas=TRAIN["betas"],
                                  eps=TRAIN["eps"], weight_decay=TRAIN["weight_decay"])
    total = TRAIN["total_steps"]
    warmup = math.ceil(TRAIN["warmup_ratio"] * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: cosine_with_min_lr_lambda(step, warmup, total, TRAIN["min_lr_rate"]))
    model = Reference(config, weights64, params, LORA_ALPHA / LORA_R)
    log = {"warmup_steps": warmup, "losses": [], "grad_norms_pre_clip": [], "clip_coefs": [], "lrs": []}
    for _ in range(total):
        optimizer.zero_grad(set_to_none=True)
        loss = causal_lm_loss(model.forward(input_ids, attention_mask), labels)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_([params[k] for k in keys], TRAIN["max_grad_norm"]))
        log["losses"].append(float(loss))
        log["grad_norms_pre_clip"].append(norm)
        log["clip_coefs"].append(min(1.0, TRAIN["max_grad_norm"] / (norm + 1e-6)))
        log["lrs"].append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    with torch.no_grad():
        log["loss_after"] = float(causal_lm_loss(model.forward(input_ids, attention_mask), labels))
    return params, log


def sanity_checks(config, weights64, lora32, batch, lora_grads):
    """Independent checks of the reference itself; raise on failure."""
    input_ids, attention_mask, labels = batch
    scale = LORA_ALPHA / LORA_R
    base = Reference(config, weights64)
    with torch.no_grad():
        padded = base.forward(input_ids, attention_mask)
        # Padding invariance: each row alone, unpadded, gives the same logits on its real tokens.
        for row, length in enumerate(SEQ_LENGTHS):
            alone = base.forward(input_ids[row:row + 1, :length], attention_mask[row:row + 1, :length])
            assert torch.allclose(alone[0], padded[row, :length], atol=1e-12), "padding changed logits"
        # B = 0 adapter is the base model.
        zero_b = {k: (torch.zeros_like(v) if "lora_B" in k else v) for k, v in f64(lora32).items()}
        assert torch.allclose(Reference(config, weights64, zero_b, scale).forward(input_ids, attention_mask),
                              padded, atol=1e-12), "zero-B adapter changed logits"
    # Central finite differences on a few LoRA entries.
    params = f64(lora32)
    for key in sorted(params)[:: max(1, len(params) // 4)]:
        index = (1, 2) if params[key].shape[1] > 2 else (2, 1)
        h = 1e-6
        losses = []
        for sign in (1, -1):
            shifted = dict(params)
            shifted[key] = params[key].clone()
            shifted[key][index] += sign * h
            with torch.no_grad():
                losses.append(float(causal_lm_loss(
                    Reference(config, weights64, shifted, scale).forward(input_ids, attention_mask), labels)))
        numeric = (losses[0] - losses[1]) / (2 * h)
        analytic = float(lora_grads[key][index])
        assert abs(numeric - analytic) <= 1e-7 + 1e-5 * abs(analytic), f"finite diff {key}: {numeric} vs {analytic}"


def build_case(case, config, seed):
    gen = torch.Generator().manual_seed(seed)
    weights32 = make_weights(config, gen)
    lora32 = make_lora(config, gen)
    batch = make_batch(config, gen)
    input_ids, attention_mask, labels = batch
    greedy_prompts = [[BOS_ID] + torch.randint(4, config["vocab_size"], (n - 1,), generator=gen).tolist()
                      for n in GREEDY_PROMPT_LENGTHS]
    scale = LORA_ALPHA / LORA_R
    weights64 = f64(weights32)
    golden = {"input_ids": batch[0].numpy(), "attention_mask": batch[1].numpy(), "labels": batch[2].numpy()}

    # 1-2. Base and adapted logits (and base residual-stream snapshots for debugging).
    with torch.no_grad():
        logits, snapshots = Reference(config, weights64).forward(input_ids, attention_mask, keep_hidden=True)
    golden["logits"] = np32(logits)
    golden.update({k: np32(v) for k, v in snapshots.items()})
    base_loss = float(causal_lm_loss(logits, labels))

    # 3-4. Adapted loss and every LoRA gradient (before clipping).
    lora64 = f64(lora32, grad=True)
    logits_lora = Reference(config, weights64, lora64, scale).forward(input_ids, attention_mask)
    lora_loss = causal_lm_loss(logits_lora, labels)
    lora_loss.backward()
    golden["logits_lora"] = np32(logits_lora)
    lora_grads = {k: v.grad.detach() for k, v in lora64.items()}
    golden.update({"grad." + k: np32(g) for k, g in lora_grads.items()})
    lora_grad_norm = float(torch.sqrt(sum((g ** 2).sum() for g in lora_grads.values())))

    # 5. Three AdamW steps.
    trained, train_log = train_lora(config, weights64, lora32, batch)
    golden.update({"trained." + k: np32(v) for k, v in trained.items()})

    # 6. Full fine-tuning gradients of the base (no adapter) loss.
    full = f64(weights32, grad=True)
    causal_lm_loss(Reference(config, full).forward(input_ids, attention_mask), labels).backward()
    last = config["num_hidden_layers"] - 1
    full_keys = ["model.embed_tokens.weight", "model.layers.0.input_layernorm.weight", "model.norm.weight",
                 "model.layers.0.self_attn.q_proj.weight", f"model.layers.{last}.mlp.down_proj.weight"]
    full_keys += [k for k in ("lm_head.weight", "model.layers.0.self_attn.q_proj.bias") if k in full]
    golden.update({"full_grad." + k: np32(full[k].grad) for k in full_keys})

    # 7. Greedy continuations of the base model (and the adapted one).
    greedy_log = []
    for prompt in greedy_prompts:
        base_ids, base_margins = greedy(Reference(config, weights64), prompt, GREEDY_NEW_TOKENS)
        with torch.no_grad():
            lora_ids, lora_margins = greedy(Reference(config, weights64, f64(lora32), scale), prompt,
                                            GREEDY_NEW_TOKENS)
        greedy_log.append({"prompt": prompt, "base_new_ids": base_ids, "base_top1_top2_margins": base_margins,
                           "lora_new_ids": lora_ids, "lora_top1_top2_margins": lora_margins})

    sanity_checks(config, weights64, lora32, batch, lora_grads)

    folder = os.path.join(OUT_DIR, case)
    os.makedirs(os.path.join(folder, "adapter"), exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    save_file({k: v.numpy() for k, v in weights32.items()}, os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "adapter", "adapter_config.json"), "w") as f:
        json.dump(adapter_config(case), f, indent=2)
    save_file({k: v.numpy() for k, v in lora32.items()}, os.path.join(folder, "adapter", "adapter_model.safetensors"))
    save_file(golden, os.path.join(folder, "golden.safetensors"))

    total = TRAIN["total_steps"]
    longer = 10
    longer_warmup = math.ceil(TRAIN["warmup_ratio"] * longer)
    summary = {
        "case": case,
        "precision": "weights f32; reference computed in f64 from those f32 values; tensors stored f32",
        "dims": {k: config[k] for k in ("hidden_size", "intermediate_size", "num_attention_heads",
                                        "num_key_value_heads", "num_hidden_layers", "vocab_size")}
        | {"head_dim": head_dim_of(config), "batch": len(SEQ_LENGTHS), "seq": max(SEQ_LENGTHS)},
        "pad_token_id": PAD_ID, "sequence_lengths": SEQ_LENGTHS, "prompt_lengths": PROMPT_LENGTHS,
        "loss_target_tokens": int((labels[:, 1:] != -100).sum()),
        "rope_inv_freq": rope_inv_freq(config).tolist(),
        "rope_inv_freq_unscaled": (1.0 / (config["rope_theta"] ** (torch.arange(0, head_dim_of(config), 2,
                                   dtype=torch.float64) / head_dim_of(config)))).tolist(),
        "lora": {"r": LORA_R, "lora_alpha": LORA_ALPHA, "scale": scale},
        "loss_base": base_loss, "loss_lora": float(lora_loss), "ln_vocab": math.log(config["vocab_size"]),
        "lora_grad_norm": lora_grad_norm,
        "training": {**TRAIN, "betas": list(TRAIN["betas"]), **train_log,
                     "schedule": "get_cosine_with_min_lr_schedule_with_warmup, num_cycles 0.5; "
                                 "lr used at step i (0-based) = lr * lambda(i)"},
        "schedule_check_10_steps": {
            "total_steps": longer, "warmup_steps": longer_warmup,
            "lambdas": [cosine_with_min_lr_lambda(i, longer_warmup, longer, TRAIN["min_lr_rate"])
                        for i in range(longer)]},
        "greedy": greedy_log,
        "tensors": {k: {"dtype": "I32" if v.dtype == np.int32 else "F32", "shape": list(v.shape)}
                    for k, v in sorted(golden.items())},
    }
    assert total == len(train_log["lrs"])
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(summary, f, indent=2)

    # Round trip through the hand-written reader.
    reread, meta = load_file(os.path.join(folder, "golden.safetensors"))
    assert meta == {"format": "pt"} and all(np.array_equal(reread[k], golden[k]) for k in golden)
    return summary


def main():
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for seed, (case, config) in enumerate(CASES.items(), start=1234):
        s = build_case(case, config, seed)
        t = s["training"]
        print(f"{case}: loss base {s['loss_base']:.4f} lora {s['loss_lora']:.4f} (ln V {s['ln_vocab']:.4f}); "
              f"lora |g| {s['lora_grad_norm']:.4f}; lrs {t['lrs']}; pre-clip norms "
              f"{[round(n, 4) for n in t['grad_norms_pre_clip']]}; losses {[round(x, 5) for x in t['losses']]} "
              f"-> {t['loss_after']:.5f}; greedy {[g['base_new_ids'] for g in s['greedy']]}")


if __name__ == "__main__":
    main()
