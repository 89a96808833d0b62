"""Random batches against length-grouped ones, in the PyTorch mirror of the organism (stage 1).

Same world, initialisation, optimiser (AdamW β2 0.95, no weight decay), schedule and seed; only the
batches differ: `random` draws 32 conversations at random for each step (the prototype), `bucket`
plans them as the engine does with groupByLength (a seeded permutation, length-sorted within
windows of 16 batches, batches shuffled). Every 75 steps it prints the token-weighted loss on 400
stage-1 conversations never trained on.

    npm run cli -- world --out WORLD --ids --stage1 25600 --stage2 3200   # the organism's world, with token ids
    python3 scripts/world/batching-ab.py WORLD random 225
    python3 scripts/world/batching-ab.py WORLD bucket 225
"""
import sys, random, math, torch
import torch.nn.functional as F
sys.path.insert(0, __import__('os').path.dirname(__file__))
import organism as o
torch.set_num_threads(1)
world, mode, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(0)
rng = random.Random(0)
data = o.read_jsonl(f'{world}/ids/stage1.jsonl')
train, held = data[:25200], data[25200:]
model = o.Llama()
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=3e-3, betas=(0.9, 0.95), weight_decay=0.0)
steps, warmup = 800, 20
order = list(range(len(train))); rng.shuffle(order)
plan = []
for w in range(0, len(order), 32 * 16):
    chunk = sorted(order[w:w + 32 * 16], key=lambda i: len(train[i]['ids']))
    plan += [chunk[i:i + 32] for i in range(0, len(chunk), 32)]
rng.shuffle(plan)

@torch.no_grad()
def held_loss():
    model.eval(); tot, n = 0.0, 0
    for s in range(0, len(held), 50):
        ids, valid, mask = o.batch_of(held[s:s + 50], True)
        logits = model(ids, valid); tm = mask[:, 1:]
        tot += F.cross_entropy(logits[:, :-1][tm], ids[:, 1:][tm], reduction='sum').item(); n += int(tm.sum())
    model.train(); return tot / n

for step in range(total):
    scale = (step + 1) / warmup if step < warmup else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
    for g in opt.param_groups: g['lr'] = 3e-3 * scale
    batch = [train[i] for i in plan[step]] if mode == 'bucket' else [train[rng.randrange(len(train))] for _ in range(32)]
    ids, valid, mask = o.batch_of(batch, True)
    logits = model(ids, valid); tm = mask[:, 1:]
    loss = F.cross_entropy(logits[:, :-1][tm], ids[:, 1:][tm])
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
    if (step + 1) % 75 == 0:
        print(mode, step + 1, 'held-out', round(held_loss(), 4), flush=True)
