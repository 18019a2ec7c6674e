"""Trains the PyTorch reference SASRec (baselines_reference.py) on a shared dataset under the project's
protocol, to compare the *training outcome* of our engine's SASRec with the same model in PyTorch.

Why: the fixtures check the forward pass on fixed weights; this checks that training on real data
(objective, negatives, Adam, early stopping, full ranking) lands where PyTorch lands. Written from the
project's documented protocol (docs/data.md, docs/baselines.md), not from our TypeScript:

  rows       valid/ sorted by target timestamp (stable), first 90% train, last 10% select; test/ is test
  indices    catalogue items sorted by id → 1..N, 0 = padding; histories keep their last max_len items
  training   every position of a row's history (h1..hn t: position i predicts the next item), one
             negative per position uniform over the items other than the positive, BCE (mean over
             positives + mean over negatives), Adam (betas 0.9/0.98), batch 128, dropout 0.2
  selection  NDCG@10 on the select rows after every epoch (hits by item id, or by title with --select-by
             title), stop after `patience` epochs without improvement, best epoch's weights kept
  test       full ranking of every item; HR/NDCG@5/10 by item id and by title (a title ranks at its
             best-scored item; titles normalised as src/decode/item-mapping.ts does)

  /usr/bin/python3 scripts/reference/sasrec_train_reference.py DATASET_DIR [--lr 1e-3] [--wd 0] [--seed 42]
      [--select-by item|title] [--epochs 200] [--patience 10] [--norm original|pre|post]   → one JSON line

--norm pre|post swaps in the current pmixer/SASRec.pytorch blocks (baselines_reference.SASRecPmixer).
"""

import argparse
import ast
import csv
import glob
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines_reference as ref  # noqa: E402


def strip(text, chars):
    return text.strip(chars)


def catalogue_key(t):
    return strip(strip(strip(strip(t, '"'), " "), "\n"), '"')


def target_key(t):
    return strip(t, ' \n"')


def read_rows(path):
    with open(path, newline="", encoding="utf8") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        col = {h: i for i, h in enumerate(header)}
        rows = []
        for i, r in enumerate(reader):
            ts = int(r[col["timestamp"]]) if "timestamp" in col else i
            rows.append({"history": ast.literal_eval(r[col["history_item_id"]]), "target": int(r[col["item_id"]]),
                         "title": r[col["item_title"]], "ts": ts, "i": i})
    return rows


def read_catalogue(path):
    """D3 lines `title<TAB>id` (the title may hold a tab); MiniOneRec `sid<TAB>title<TAB>id` (sid `<a_1><b_2>…`)."""
    items, minionerec = {}, None
    with open(path, encoding="utf8") as f:
        for line in f:
            line = line.rstrip("\r\n").lstrip("\ufeff")
            if not line:
                continue
            if minionerec is None:
                minionerec = re.match(r"^(<[^<>\t]+>)+\t[^\t]*\t\d+$", line) is not None
            last = line.rfind("\t")
            title = line[:last]
            if minionerec:
                title = title[title.find("\t") + 1:]
            items[int(line[last + 1:])] = title
    return items


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--wd", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--select-by", choices=["item", "title"], default="title")
    p.add_argument("--norm", choices=["original", "pre", "post"], default="original")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)

    cat = read_catalogue(glob.glob(os.path.join(a.data, "info", "*.txt"))[0])
    ids = sorted(cat)
    index = {item: k + 1 for k, item in enumerate(ids)}
    keys, key_of = [], []
    key_index = {}
    for item in ids:
        k = catalogue_key(cat[item])
        if k not in key_index:
            key_index[k] = len(keys)
            keys.append(k)
        key_of.append(key_index[k])
    key_of = torch.tensor(key_of)
    N = len(ids)

    valid = read_rows(glob.glob(os.path.join(a.data, "valid", "*.csv"))[0])
    test = read_rows(glob.glob(os.path.join(a.data, "test", "*.csv"))[0])
    valid.sort(key=lambda r: (r["ts"], r["i"]))
    cut = math.floor(len(valid) * 0.9)
    train, select = valid[:cut], valid[cut:]
    as_pair = lambda rs: [([index[h] for h in r["history"]], index[r["target"]]) for r in rs]  # noqa: E731

    cfg = {"model_type": "sasrec", "num_items": N, "max_len": 10, "hidden_size": 64, "num_blocks": 2, "num_heads": 1,
           "dropout": 0.2, "layer_norm_eps": 1e-8, "norm": a.norm}
    model = (ref.SASRec if a.norm == "original" else ref.SASRecPmixer)(cfg)
    for param in model.parameters():
        if param.dim() > 1:
            nn.init.xavier_normal_(param.data)
    with torch.no_grad():
        model.item_emb.weight[0].zero_()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.98), weight_decay=a.wd)
    train_pairs = as_pair(train)

    def rank_lists(rows, k=10):
        model.eval()
        items_out, titles_out = [], []
        with torch.no_grad():
            for i in range(0, len(rows), 256):
                batch = as_pair(rows[i:i + 256])
                x, _, last = ref.pad(batch, 10, "left")
                scores = model.final_query(x, last) @ model.item_emb.weight[1:].T
                items_out += (scores.topk(k, 1).indices + 1).tolist()
                per_title = torch.full((scores.shape[0], len(keys)), -float("inf"))
                per_title.scatter_reduce_(1, key_of.unsqueeze(0).expand_as(scores), scores, "amax")
                titles_out += per_title.topk(k, 1).indices.tolist()
        return items_out, titles_out

    def metrics(rows, k_list=(5, 10)):
        items_out, titles_out = rank_lists(rows, max(k_list))
        out = {}
        for kind, lists, wanted in [("item", items_out, [index[r["target"]] for r in rows]),
                                    ("title", titles_out, [key_index.get(target_key(r["title"]), -1) for r in rows])]:
            for k in k_list:
                ranks = [lst[:k].index(w) if w in lst[:k] else None for lst, w in zip(lists, wanted)]
                out[f"{kind}_hr@{k}"] = sum(r is not None for r in ranks) / len(rows)
                out[f"{kind}_ndcg@{k}"] = sum(1 / math.log2(r + 2) for r in ranks if r is not None) / len(rows)
        return out

    best, best_epoch, best_state, bad, epochs = -1.0, 0, None, 0, 0
    start = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(train_pairs), generator=g).tolist()
        for i in range(0, len(order), 128):
            items, nexts, _ = ref.pad([train_pairs[j] for j in order[i:i + 128]], 10, "left")
            neg = torch.randint(1, N, nexts.shape + (1,), generator=g)
            neg = neg + (neg >= nexts.unsqueeze(-1)).long()
            opt.zero_grad(set_to_none=True)
            loss = ref.bce_objective(model, model.sequence_queries(items), torch.cat([nexts.unsqueeze(-1), neg], -1),
                                     nexts != 0)
            loss.backward()
            opt.step()
        epochs = epoch
        sel = metrics(select, (10,))[f"{a.select_by}_ndcg@10"]
        if sel > best:
            best, best_epoch, bad = sel, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= a.patience:
                break
    model.load_state_dict(best_state)
    result = {"data": os.path.basename(a.data.rstrip("/")), "lr": a.lr, "wd": a.wd, "seed": a.seed,
              "norm": a.norm, "select_by": a.select_by,
              "selection_ndcg@10": best, "best_epoch": best_epoch, "epochs": epochs,
              "seconds": time.perf_counter() - start, "rows": {"train": len(train), "select": len(select),
                                                                "test": len(test)}, **metrics(test)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
