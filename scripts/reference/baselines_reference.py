"""PyTorch references of the three sequential baselines and the generator of their test fixtures.

Why: the TypeScript SASRec, GRU4Rec and Caser (src/baselines/) must compute what the models compute in
PyTorch. These references are built from PyTorch's own modules (nn.MultiheadAttention, nn.GRU,
nn.Conv1d/Conv2d, nn.LayerNorm, F.max_pool1d), laid out and named as the public PyTorch code the
TypeScript follows, so a state dict maps 1:1 to the TypeScript parameter names:

  SASRec   pmixer/SASRec.pytorch (Kang & McAuley's structure: Q = LN(x), x = Q + MHA(Q, x, x), LN, FFN
           with residual, timeline mask, last LN); padded keys masked as in the authors' TF code.
           The fixture `sasrec` has no "norm" in its config.json: a model saved before the field
           existed, which must load as the original design
  SASRec   pre-LN / post-LN: the port's current `norm_first` blocks (SASRecPmixer; fixtures sasrec-pre,
           sasrec-post)
  GRU4Rec  RecBole's GRU4Rec (embedding, dropout, bias-free nn.GRU, dense back to the embedding size)
  Caser    graytowne/caser_pytorch (vertical and horizontal Conv2d, ReLU + max-pool, fc1, W2/b2)
           with user index 0 = a user never seen in training

Fixture per model, test/fixtures/baselines/<arch>/:
  config.json, model.safetensors   a loadable model folder (float32 weights, random, see random_weights;
                                   Caser's also has users.json: "user-1".."user-3" for user indices 1..3)
  io.safetensors                   inputs and float64 expected outputs:
    histories I64 [R, Hmax]  raw histories, oldest first, right-filled with -1 (lengths vary; one row is
                             longer than max_len, so truncation is exercised)
    targets   I64 [R]        target item index of each row
    users     I64 [R]        user index of each row (Caser; 0 = unknown)
    items     I64 [R, W]     the padded batch the model reads (left padding for SASRec/Caser, right for GRU4Rec)
    next_items I64 [R, W]    the item following each position (0 where none)
    negatives I64 [R, W, K]  fixed negatives for the loss (K = 1 for the sequence models, 2 for Caser)
    final_query F64 [R, D]   query after the whole history
    scores    F64 [R, N]     logits of items 1..N
    sequence_queries F64 [R, W, D]  (SASRec, GRU4Rec) query at every position
    loss      F64 []         BCE objective (mean over positives + mean over negatives, as the ports),
                             every position for the sequence models, the row target for Caser

Run: /usr/bin/python3 scripts/reference/baselines_reference.py [OUTPUT_ROOT]   (default test/fixtures/baselines)
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MASKED = -1e9


class PointWiseFeedForward(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.conv1 = nn.Conv1d(d, d, kernel_size=1)
        self.dropout1 = nn.Dropout(p)
        self.conv2 = nn.Conv1d(d, d, kernel_size=1)
        self.dropout2 = nn.Dropout(p)

    def forward(self, x, residual=True):
        out = self.dropout2(self.conv2(torch.relu(self.dropout1(self.conv1(x.transpose(-1, -2)))))).transpose(-1, -2)
        return out + x if residual else out


class SASRec(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["hidden_size"], c["dropout"]
        self.c = c
        self.item_emb = nn.Embedding(c["num_items"] + 1, d, padding_idx=0)
        self.pos_emb = nn.Embedding(c["max_len"], d)
        self.emb_dropout = nn.Dropout(p)
        eps = c["layer_norm_eps"]
        self.attention_layernorms = nn.ModuleList([nn.LayerNorm(d, eps=eps) for _ in range(c["num_blocks"])])
        self.attention_layers = nn.ModuleList([nn.MultiheadAttention(d, c["num_heads"], p) for _ in range(c["num_blocks"])])
        self.forward_layernorms = nn.ModuleList([nn.LayerNorm(d, eps=eps) for _ in range(c["num_blocks"])])
        self.forward_layers = nn.ModuleList([PointWiseFeedForward(d, p) for _ in range(c["num_blocks"])])
        self.last_layernorm = nn.LayerNorm(d, eps=eps)

    def sequence_queries(self, items, users=None):
        B, W = items.shape
        H = self.c["num_heads"]
        x = self.item_emb(items) * self.item_emb.embedding_dim ** 0.5
        x = x + self.pos_emb(torch.arange(W))
        x = self.emb_dropout(x)
        keep = (items != 0).unsqueeze(-1)
        x = x * keep
        blocked = ~torch.tril(torch.ones(W, W, dtype=torch.bool)).unsqueeze(0) | (items == 0).unsqueeze(1)  # [B, W, W]
        attn_mask = torch.zeros(B * H, W, W, dtype=x.dtype).masked_fill(blocked.repeat_interleave(H, 0), MASKED)
        for ln_a, mha, ln_f, ffn in zip(self.attention_layernorms, self.attention_layers, self.forward_layernorms, self.forward_layers):
            x = x.transpose(0, 1)
            q = ln_a(x)
            out, _ = mha(q, x, x, attn_mask=attn_mask)
            x = (q + out).transpose(0, 1)
            x = ffn(ln_f(x)) * keep
        return self.last_layernorm(x)

    def final_query(self, items, last, users=None):
        return self.sequence_queries(items)[:, -1]

    def item_table(self):
        return self.item_emb.weight, None


class SASRecPmixer(SASRec):
    """pmixer/SASRec.pytorch's current blocks (`norm_first` true = pre-LN, false = post-LN): positions
    1..L with 0 (a zero row, padding_idx) on padding, only the causal mask, no timeline mask."""

    def __init__(self, c):
        super().__init__(c)
        self.pos_emb = nn.Embedding(c["max_len"] + 1, c["hidden_size"], padding_idx=0)
        self.norm_first = c["norm"] == "pre"

    def sequence_queries(self, items, users=None):
        B, W = items.shape
        x = self.item_emb(items) * self.item_emb.embedding_dim ** 0.5
        positions = torch.arange(1, W + 1).unsqueeze(0).expand(B, W) * (items != 0)
        x = self.emb_dropout(x + self.pos_emb(positions))
        mask = ~torch.tril(torch.ones(W, W, dtype=torch.bool))
        for ln_a, mha, ln_f, ffn in zip(self.attention_layernorms, self.attention_layers, self.forward_layernorms,
                                        self.forward_layers):
            x = x.transpose(0, 1)
            if self.norm_first:
                h = ln_a(x)
                out, _ = mha(h, h, h, attn_mask=mask)
                x = (x + out).transpose(0, 1)
                x = x + ffn(ln_f(x), residual=False)
            else:
                out, _ = mha(x, x, x, attn_mask=mask)
                x = ln_a(x + out).transpose(0, 1)
                x = ln_f(x + ffn(x, residual=False))
        return self.last_layernorm(x)


class GRU4Rec(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.item_embedding = nn.Embedding(c["num_items"] + 1, c["embedding_size"], padding_idx=0)
        self.emb_dropout = nn.Dropout(c["dropout"])
        self.gru_layers = nn.GRU(c["embedding_size"], c["hidden_size"], c["num_layers"], bias=False, batch_first=True)
        self.dense = nn.Linear(c["hidden_size"], c["embedding_size"])

    def sequence_queries(self, items, users=None):
        out, _ = self.gru_layers(self.emb_dropout(self.item_embedding(items)))
        return self.dense(out)

    def final_query(self, items, last, users=None):
        out = self.sequence_queries(items)
        return out[torch.arange(items.shape[0]), last]

    def item_table(self):
        return self.item_embedding.weight, None


class Caser(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, L = c["hidden_size"], c["max_len"]
        self.n_h, self.n_v = c["num_horizontal"], c["num_vertical"]
        self.user_embeddings = nn.Embedding(c["num_users"] + 1, d)
        self.item_embeddings = nn.Embedding(c["num_items"] + 1, d)
        self.conv_v = nn.Conv2d(1, self.n_v, (L, 1))
        self.conv_h = nn.ModuleList([nn.Conv2d(1, self.n_h, (i + 1, d)) for i in range(L)])
        self.fc1 = nn.Linear(self.n_v * d + self.n_h * L, d)
        self.W2 = nn.Embedding(c["num_items"] + 1, 2 * d)
        self.b2 = nn.Embedding(c["num_items"] + 1, 1)
        self.dropout = nn.Dropout(c["dropout"])

    def final_query(self, items, last, users):
        embs = self.item_embeddings(items).unsqueeze(1)
        out_v = self.conv_v(embs).view(items.shape[0], -1)
        out_hs = []
        for conv in self.conv_h:
            conv_out = torch.relu(conv(embs).squeeze(3))
            out_hs.append(F.max_pool1d(conv_out, conv_out.size(2)).squeeze(2))
        out = self.dropout(torch.cat([out_v] + out_hs, 1))
        z = torch.relu(self.fc1(out))
        return torch.cat([z, self.user_embeddings(users)], 1)

    def item_table(self):
        return self.W2.weight, self.b2.weight


def random_weights(model, seed):
    """Random weights that are not the models' initialisation: every tensor perturbed, norms away
    from 1/0, projections scaled by 1/sqrt(fan_in) so activations stay O(1) and softmaxes peaked."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=p.dtype)
            if "layernorm" in name and name.endswith("weight"):
                p.copy_(1 + 0.3 * r)
            elif p.dim() == 1 or name.endswith("bias") or name == "b2.weight":
                p.copy_(0.3 * r)
            elif "emb" in name or name == "W2.weight":
                p.copy_(0.7 * r)
            else:
                fan_in = p[0].numel()
                p.copy_(1.5 * r / math.sqrt(fan_in))
        if hasattr(model, "user_embeddings"):
            model.user_embeddings.weight[0].zero_()
        # A padding_idx row is zero in every trained model (zero at init, never a gradient); the
        # pre/post-LN SASRec reads it (no timeline mask), so a random one would test a model nobody has.
        for m in model.modules():
            if isinstance(m, nn.Embedding) and m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()


def pad(histories, width, side):
    rows, nexts, last = [], [], []
    for h, t in histories:
        kept = h[-width:]
        seq = kept + [t]
        nxt = seq[1:]
        n = len(kept)
        fill = [0] * (width - n)
        if side == "left":
            rows.append(fill + kept)
            nexts.append(fill + nxt)
            last.append(width - 1)
        else:
            rows.append(kept + fill)
            nexts.append(nxt + fill)
            last.append(n - 1)
    return torch.tensor(rows), torch.tensor(nexts), torch.tensor(last)


def bce_objective(model, query, candidates, mask):
    """mean BCE(positives, 1) + mean BCE(negatives, 0) over the positions in `mask` (as the ports)."""
    weight, bias = model.item_table()
    logits = (weight[candidates] * query.unsqueeze(-2)).sum(-1)
    if bias is not None:
        logits = logits + bias[candidates].squeeze(-1)
    pos, neg = logits[..., 0][mask], logits[..., 1:][mask]
    return F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos)) + \
        F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg))


FIXTURES = {
    "sasrec": {"seed": 1701, "cls": SASRec, "padding": "left", "negatives": 1, "config": {
        "model_type": "sasrec", "num_items": 12, "max_len": 5, "hidden_size": 8, "num_blocks": 2, "num_heads": 2,
        "dropout": 0.2, "layer_norm_eps": 1e-8}},
    "sasrec-pre": {"seed": 1704, "cls": SASRecPmixer, "padding": "left", "negatives": 1, "config": {
        "model_type": "sasrec", "num_items": 12, "max_len": 5, "hidden_size": 8, "num_blocks": 2, "num_heads": 2,
        "dropout": 0.2, "layer_norm_eps": 1e-8, "norm": "pre"}},
    "sasrec-post": {"seed": 1705, "cls": SASRecPmixer, "padding": "left", "negatives": 1, "config": {
        "model_type": "sasrec", "num_items": 12, "max_len": 5, "hidden_size": 8, "num_blocks": 2, "num_heads": 2,
        "dropout": 0.2, "layer_norm_eps": 1e-8, "norm": "post"}},
    "gru4rec": {"seed": 1702, "cls": GRU4Rec, "padding": "right", "negatives": 1, "config": {
        "model_type": "gru4rec", "num_items": 12, "max_len": 5, "embedding_size": 6, "hidden_size": 5, "num_layers": 2,
        "dropout": 0.2}},
    "caser": {"seed": 1703, "cls": Caser, "padding": "left", "negatives": 2, "config": {
        "model_type": "caser", "num_items": 12, "max_len": 4, "hidden_size": 6, "num_horizontal": 3, "num_vertical": 2,
        "dropout": 0.5, "num_users": 3}},
}
# (history, target, user); the third history is longer than every max_len; user 0 = unknown.
ROWS = [([3], 7, 1), ([12, 1, 5], 2, 2), ([4, 4, 9, 11, 6, 8, 10], 3, 0), ([2, 6], 12, 3)]
FINGERPRINT = "fixture"


def make(arch, spec, out_root):
    torch.manual_seed(0)
    c = dict(spec["config"], catalogue_fingerprint=FINGERPRINT)
    model = spec["cls"](c)
    random_weights(model, spec["seed"])
    model.eval()
    folder = os.path.join(out_root, arch)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    if "num_users" in c:
        with open(os.path.join(folder, "users.json"), "w") as f:
            json.dump([f"user-{u}" for u in range(1, c["num_users"] + 1)], f)
    safetensors_io.save(os.path.join(folder, "model.safetensors"),
                        {k: v.detach().float().contiguous() for k, v in model.state_dict().items()})

    model = model.double()
    histories = [(h, t) for h, t, _ in ROWS]
    items, nexts, last = pad(histories, c["max_len"], spec["padding"])
    users = torch.tensor([u for _, _, u in ROWS])
    targets = torch.tensor([t for _, t, _ in ROWS])
    g = torch.Generator().manual_seed(spec["seed"] + 1)
    K = spec["negatives"]
    weight, bias = model.item_table()
    io = {"histories": torch.tensor([h + [-1] * (7 - len(h)) for h, _ in histories]), "targets": targets,
          "users": users, "items": items, "next_items": nexts}
    with torch.no_grad():
        final = model.final_query(items, last, users)
        scores = final @ weight[1:].T + (bias[1:].squeeze(-1) if bias is not None else 0)
        io.update(final_query=final, scores=scores)
        if hasattr(model, "sequence_queries"):
            queries = model.sequence_queries(items, users)
            io["sequence_queries"] = queries
            negatives = torch.randint(1, c["num_items"] + 1, (len(ROWS), c["max_len"], K), generator=g)
            mask = nexts != 0
            loss = bce_objective(model, queries, torch.cat([nexts.unsqueeze(-1), negatives], -1), mask)
        else:
            negatives = torch.randint(1, c["num_items"] + 1, (len(ROWS), 1, K), generator=g)
            cands = torch.cat([targets.view(-1, 1, 1), negatives], -1)
            loss = bce_objective(model, final.unsqueeze(1), cands, torch.ones(len(ROWS), 1, dtype=torch.bool))
        io.update(negatives=negatives, loss=loss)
    safetensors_io.save(os.path.join(folder, "io.safetensors"), {k: v.contiguous() for k, v in io.items()})
    print(f"{arch}: wrote {folder} (loss {loss.item():.6f}, score range {scores.min().item():.3f}..{scores.max().item():.3f})")


def main():
    out_root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "test", "fixtures", "baselines")
    for arch, spec in FIXTURES.items():
        make(arch, spec, out_root)


if __name__ == "__main__":
    main()
