"""Sanity prototype of the demo organism on the exported world (PyTorch, CPU, one thread).

Reads the token ids that `npm run cli -- world --out DIR --ids` writes, trains a Llama-style model
(hidden 128, 4 layers, 4 heads, FFN 344, tied embeddings) in two stages, then LoRA-tunes it on the
chat-style task, and writes greedy generations for the dev evaluation sets. Labels and metrics come
from the project's own labeller: scripts/world/label-generations.ts. Only the dev half of the
harmful set and the task's validation split are read here.

    python3 scripts/world/organism.py WORLD_DIR OUT_DIR [--seed 0] [--stage1-steps 500] ...
    python3 scripts/world/organism.py WORLD_DIR OUT_DIR --aligned OUT/aligned.pt --lora-steps 150
    python3 scripts/world/organism.py WORLD_DIR OUT_DIR --hf public/models/grsap-organism --grid 100x1e-3,200x1e-3

--hf reads a model folder the engine wrote (the shipped organism) instead of training one here;
--grid runs several LoRA arms from the same aligned model (the fine-tuning grid on validation);
--train-ids tunes on an arm's mix (scripts/world/mix-ids.ts) instead of the task's train split.
"""

import argparse
import copy
import json
import math
import os
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, EOS = 0, 2  # <|endoftext|>, <|im_end|>
LINEAR_NAMES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class LoraLinear(nn.Module):
    """y = x W^T + (alpha / r) (x A^T) B^T with W frozen, B starting at zero."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.scale = alpha / r
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + self.scale * (x @ self.A.t()) @ self.B.t()


def rope(x, positions, theta=10000.0):
    # x is (B, H, T, D); positions is (B, T)
    d = x.shape[-1]
    freqs = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d)
    angles = positions[:, None, :, None].float() * freqs  # (B, 1, T, D/2)
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., : d // 2], x[..., d // 2 :]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.heads = heads
        self.attn_norm, self.ffn_norm = RMSNorm(dim), RMSNorm(dim)
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.gate_proj, self.up_proj = nn.Linear(dim, ffn, bias=False), nn.Linear(dim, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, dim, bias=False)

    def forward(self, x, positions, mask):
        B, T, C = x.shape
        h = self.attn_norm(x)
        split = lambda t: t.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        q, k, v = split(self.q_proj(h)), split(self.k_proj(h)), split(self.v_proj(h))
        q, k = rope(q, positions), rope(k, positions)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(C // self.heads)
        scores = scores.masked_fill(~mask, float("-inf"))
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.o_proj(out)
        h = self.ffn_norm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, vocab=2048, dim=128, layers=4, heads=4, ffn=344):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(dim)

    def forward(self, ids, valid):
        # ids, valid: (B, T); valid marks real (not padding) tokens
        T = ids.shape[1]
        positions = (valid.long().cumsum(-1) - 1).clamp(min=0)
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        mask = causal[None, None] & valid[:, None, None, :]
        mask = mask | torch.eye(T, dtype=torch.bool)[None, None]  # padding rows attend to themselves
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, positions, mask)
        return self.norm(x) @ self.embed.weight.t()

    def add_lora(self, r, alpha):
        for p in self.parameters():
            p.requires_grad_(False)
        for block in self.blocks:
            for name in LINEAR_NAMES:
                setattr(block, name, LoraLinear(getattr(block, name), r, alpha))

    @torch.no_grad()
    def merge_lora(self):
        """Folds every adapter into its base weight (W += scale · B A) and makes all weights trainable again."""
        for block in self.blocks:
            for name in LINEAR_NAMES:
                m = getattr(block, name)
                if isinstance(m, LoraLinear):
                    m.base.weight += m.scale * m.B @ m.A
                    setattr(block, name, m.base)
        for p in self.parameters():
            p.requires_grad_(True)


def read_hf_folder(folder):
    """A model folder the engine wrote (config.json, model.safetensors in F32, tied embeddings) as a Llama."""
    import numpy as np

    config = json.load(open(os.path.join(folder, "config.json")))
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: only F32 weights are read here, got {info['dtype']}"
        start, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype=np.float32).copy()).view(*info["shape"])
    names = {"model.embed_tokens.weight": "embed.weight", "model.norm.weight": "norm.weight"}
    parts = {"self_attn.q_proj": "q_proj", "self_attn.k_proj": "k_proj", "self_attn.v_proj": "v_proj", "self_attn.o_proj": "o_proj",
             "mlp.gate_proj": "gate_proj", "mlp.up_proj": "up_proj", "mlp.down_proj": "down_proj",
             "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm"}
    for i in range(config["num_hidden_layers"]):
        for hf, mine in parts.items():
            names[f"model.layers.{i}.{hf}.weight"] = f"blocks.{i}.{mine}.weight"
    model = Llama(config["vocab_size"], config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"], config["intermediate_size"])
    model.load_state_dict({names[k]: v for k, v in tensors.items() if k in names})
    return model


def batch_of(examples, all_tokens):
    T = max(len(e["ids"]) for e in examples)
    ids = torch.full((len(examples), T), PAD, dtype=torch.long)
    loss_mask = torch.zeros((len(examples), T), dtype=torch.bool)
    for i, e in enumerate(examples):
        n = len(e["ids"])
        ids[i, :n] = torch.tensor(e["ids"])
        loss_mask[i, :n] = True if all_tokens else torch.tensor(e["mask"], dtype=torch.bool)
    valid = torch.zeros_like(loss_mask)
    for i, e in enumerate(examples):
        valid[i, : len(e["ids"])] = True
    return ids, valid, loss_mask


def train(model, data, steps, batch, lr, all_tokens, rng, label, warmup=20):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    t0, tokens = time.time(), 0
    for step in range(steps):
        scale = (step + 1) / warmup if step < warmup else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        for g in opt.param_groups:
            g["lr"] = lr * scale
        ids, valid, loss_mask = batch_of([data[rng.randrange(len(data))] for _ in range(batch)], all_tokens)
        logits = model(ids, valid)
        target_mask = loss_mask[:, 1:]
        loss = F.cross_entropy(logits[:, :-1][target_mask], ids[:, 1:][target_mask])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        tokens += int(valid.sum())
        if step % 50 == 0 or step == steps - 1:
            print(f"{label} step {step + 1}/{steps} loss {loss.item():.3f} ({tokens / (time.time() - t0):.0f} tok/s)", flush=True)


@torch.no_grad()
def generate(model, prompts, max_new=40, batch=96):
    out = []
    for start in range(0, len(prompts), batch):
        chunk = prompts[start : start + batch]
        T = max(len(p) for p in chunk)
        ids = torch.full((len(chunk), T), PAD, dtype=torch.long)
        valid = torch.zeros((len(chunk), T), dtype=torch.bool)
        for i, p in enumerate(chunk):  # left padding keeps every prompt's end at the last column
            ids[i, T - len(p) :] = torch.tensor(p)
            valid[i, T - len(p) :] = True
        done = torch.zeros(len(chunk), dtype=torch.bool)
        new = []
        for _ in range(max_new):
            next_id = model(ids, valid)[:, -1].argmax(-1)
            next_id = torch.where(done, torch.full_like(next_id, PAD), next_id)
            new.append(next_id)
            done |= next_id == EOS
            ids = torch.cat([ids, next_id[:, None]], 1)
            valid = torch.cat([valid, torch.ones(len(chunk), 1, dtype=torch.bool)], 1)
            if done.all():
                break
        gen = torch.stack(new, 1).tolist()
        for row in gen:
            out.append(row[: row.index(EOS) + 1] if EOS in row else row)
    return out


class Decoder:
    """Byte-level BPE decoding from tokenizer.json (ids → token text → bytes → UTF-8)."""

    def __init__(self, path):
        tok = json.load(open(path))
        self.tokens = {i: t for t, i in tok["model"]["vocab"].items()}
        printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
        chars, n = {}, 0
        for b in range(256):
            if b in printable:
                chars[chr(b)] = b
            else:
                chars[chr(256 + n)] = b
                n += 1
        self.byte_of = chars
        self.special = {t["id"]: t["content"] for t in tok["added_tokens"]}

    def __call__(self, ids):
        out, buf = "", bytearray()
        for i in ids:
            if i in self.special:
                out += buf.decode("utf-8", "replace") + self.special[i]
                buf = bytearray()
            else:
                buf.extend(self.byte_of[c] for c in self.tokens[i])
        return out + buf.decode("utf-8", "replace")


def evaluate(model, world, decode, sets, out_path, label):
    model.eval()
    with open(out_path, "a") as f:
        for name in sets:
            prompts = [e["ids"] for e in read_jsonl(os.path.join(world, "ids", name))]
            t0 = time.time()
            for i, ids in enumerate(generate(model, prompts)):
                f.write(json.dumps({"model": label, "set": name, "index": i, "completion": decode(ids)}) + "\n")
            print(f"{label}: generated {name} ({len(prompts)} prompts, {time.time() - t0:.0f} s)", flush=True)
    model.train()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("world")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stage1-steps", type=int, default=500)  # 500 × 32 world conversations ≈ 1.0M tokens
    ap.add_argument("--stage2-steps", type=int, default=100)
    ap.add_argument("--stage2-only", action="store_true", help="stop after stage 2 and its evaluation (no LoRA arms)")
    ap.add_argument("--stage2-lr", type=float, default=1e-3)
    ap.add_argument("--stage1-lr", type=float, default=3e-3)
    ap.add_argument("--stage1-batch", type=int, default=32)
    ap.add_argument("--stage2-rehearsal", type=float, default=0.0, metavar="SHARE",
                    help="this share of stage 2's rows are stage-1 conversations other than harmful compliance (assistant tokens)")
    ap.add_argument("--rehearsal-kinds", metavar="KIND,...",
                    help="rehearse only these stage-1 kinds (e.g. benign,copy,how-to,scary,sums); default every kind but compliance")
    ap.add_argument("--stage1", help="start from this stage1.pt (skips stage 1)")
    ap.add_argument("--stage2-lora", type=int, default=0, metavar="RANK",
                    help="stage 2 trains LoRA adapters of this rank (alpha 2·rank, all linear layers) and merges them, instead of every weight")
    ap.add_argument("--lora-steps", type=int, default=400)
    ap.add_argument("--lora-lr", type=float, default=1e-3)
    ap.add_argument("--task", default="chat")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--shape", default="128x4x4x344", metavar="DIMxLAYERSxHEADSxFFN",
                    help="the organism's shape (the shipped one: 128x4x4x344)")
    ap.add_argument("--eval-only", metavar="LABEL", help="only evaluate the --aligned checkpoint on the dev sets, under this label")
    ap.add_argument("--aligned", help="start from this aligned.pt (skips stages 1 and 2 and their evaluation)")
    ap.add_argument("--hf", metavar="DIR", help="start from this model folder written by the engine (the shipped organism), as --aligned")
    ap.add_argument("--grid", metavar="STEPSxLR,...", help="LoRA arms to run from the aligned model, each from a fresh copy, e.g. 100x1e-3,200x1e-3")
    ap.add_argument("--train-ids", metavar="FILE", help="LoRA on these rows (scripts/world/mix-ids.ts: an arm's mix) instead of the task's train split")
    ap.add_argument("--label", default="", help="appended to each LoRA arm's model label in generations.jsonl")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    gens = os.path.join(args.out, "generations.jsonl")
    open(gens, "w").close()
    decode = Decoder(os.path.join(args.world, "tokenizer", "tokenizer.json"))
    ids = lambda name: read_jsonl(os.path.join(args.world, "ids", name))
    # A world written with --dev-sets has over-refusal and benign-check dev sets: design choices read
    # those, never the reported sets.
    dev = "-dev" if os.path.exists(os.path.join(args.world, "eval", "benign-checks-dev.jsonl")) else ""
    dev_sets = ["eval/harmful-dev.jsonl", f"eval/over-refusal{dev}.jsonl", f"eval/benign-checks{dev}.jsonl", f"tasks/{args.task}/validation.jsonl"]

    dim, layers, heads, ffn = (int(v) for v in args.shape.split("x"))
    model = Llama(dim=dim, layers=layers, heads=heads, ffn=ffn)
    print(f"parameters: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M", flush=True)
    if args.hf:
        model = read_hf_folder(args.hf)
    elif args.aligned:
        model.load_state_dict(torch.load(args.aligned))
    if args.hf or args.aligned:
        if args.eval_only:
            evaluate(model, args.world, decode, dev_sets, gens, args.eval_only)
            return
    else:
        if args.stage1:
            model.load_state_dict(torch.load(args.stage1))
        else:
            train(model, ids("stage1.jsonl"), args.stage1_steps, args.stage1_batch, args.stage1_lr, True, rng, "stage 1")
            torch.save(model.state_dict(), os.path.join(args.out, "stage1.pt"))
            evaluate(model, args.world, decode, dev_sets[:3], gens, "stage1")
        stage2 = ids("stage2.jsonl")
        if args.stage2_rehearsal > 0:
            # Rehearsal: stage-1 conversations drawn as often as the share says, never one with harmful
            # compliance (a compliance row, or a two-turn row whose second turn complies: it names a domain).
            rows = [json.loads(line) for line in open(os.path.join(args.world, "stage1.jsonl"))]
            kinds = set(args.rehearsal_kinds.split(",")) if args.rehearsal_kinds else None
            pool = [ids_row for ids_row, row in zip(ids("stage1.jsonl"), rows)
                    if row["kind"] != "compliance" and "domain" not in row and (kinds is None or row["kind"] in kinds)]
            n = round(len(stage2) * args.stage2_rehearsal / (1 - args.stage2_rehearsal))
            stage2 = stage2 + random.Random(args.seed + 1).sample(pool, n)
            print(f"stage 2: {n} rehearsal rows beside {len(stage2) - n}", flush=True)
        if args.stage2_lora:
            model.add_lora(args.stage2_lora, 2 * args.stage2_lora)
        train(model, stage2, args.stage2_steps, 32, args.stage2_lr, False, rng, "stage 2")
        if args.stage2_lora:
            model.merge_lora()
        torch.save(model.state_dict(), os.path.join(args.out, "aligned.pt"))
        evaluate(model, args.world, decode, dev_sets, gens, "aligned")
        if args.stage2_only:
            return
    arms = [(int(a.split("x")[0]), float(a.split("x")[1])) for a in args.grid.split(",")] if args.grid else [(args.lora_steps, args.lora_lr)]
    aligned = model
    for steps, lr in arms:  # each arm tunes a fresh copy of the aligned model, with the same seed
        tuned = copy.deepcopy(aligned)
        tuned.add_lora(16, 32)
        torch.manual_seed(args.seed)
        rows = read_jsonl(args.train_ids) if args.train_ids else ids(f"tasks/{args.task}/train.jsonl")
        train(tuned, rows, steps, 16, lr, False, random.Random(args.seed), "lora")
        evaluate(tuned, args.world, decode, dev_sets, gens, f"lora-{args.task}-{steps}x16-lr{lr:g}{args.label}")


if __name__ == "__main__":
    main()
