"""PyTorch reference for notebook 7 (open-set evaluation): the same networks, scores and measures.

Reads the split the notebook wrote (split.json: the known digits, and for every set the bundled IDX
files and the index of each image in them) and the recipe stored with it; trains LeNet++ with softmax
only and with center loss at each feature dimension on the same images; computes the same scores (max
softmax, max logit, energy, centre distance, Mahalanobis, OpenMax) and measures (AUROC, AUPR-in,
AUPR-out, FPR at 95 % TPR, OSCR, per-class thresholds from the validation digits) with its own code;
writes torch-results.json beside the split and prints the kit's figures (kit-results.json) beside its own.
When the notebook also wrote kit-scores.json, the kit's own scores go through this file's measures too,
which shows whether the two implementations of the measures agree on identical input.

    /usr/bin/python3 tests/Benchmarks/open_set_reference.py artifacts/open-set/split.json
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_step import LeNetPlusPlus, center_loss, wen_update  # noqa: E402  (the benchmark's network and centre rule)

MEAN, STD = 0.1307, 0.3081  # MNIST's normalisation, as the kit's ImageSet


# ---- data -------------------------------------------------------------------------------------

def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_sets(split, data_folder):
    files = {}

    def read(name):
        if name not in files:
            files[name] = read_idx(os.path.join(data_folder, name))
        return files[name]

    known = split["known"]
    sets = {}
    for name, entry in split["sets"].items():
        index = np.array(entry["indices"], dtype=np.int64)
        images = torch.from_numpy(read(entry["images"])[index].astype(np.float32)).div_(255).sub_(MEAN).div_(STD).unsqueeze(1)
        labels = read(entry["labels"])[index].astype(np.int64)
        if name in ("fit", "validation", "knownTest"):
            labels = np.array([known.index(label) for label in labels], dtype=np.int64)
        sets[name] = (images, torch.from_numpy(labels))
    return sets


# ---- training: the kit's recipe ---------------------------------------------------------------

def shift(x, max_shift, generator):
    """Random translation of each image by up to max_shift pixels, padding with the image's minimum."""
    if max_shift <= 0:
        return x
    b = x.shape[0]
    offsets = (torch.rand(b, 2, generator=generator) * 2 - 1) * max_shift * 2 / 28.0
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = 1
    theta[:, 1, 1] = 1
    theta[:, :, 2] = offsets
    grid = F.affine_grid(theta, [b, 1, 28, 28], align_corners=False)
    background = x.amin(dim=(1, 2, 3), keepdim=True)
    return F.grid_sample(x - background, grid, align_corners=False) + background


def train(dim, lam, settings, images, labels, classes):
    torch.manual_seed(settings["seed"])
    model = LeNetPlusPlus(dim, classes)
    centers = torch.empty(classes, dim)
    nn.init.xavier_uniform_(centers)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["learningRate"])
    epochs, batch, n = settings["epochs"], settings["batchSize"], labels.shape[0]
    generator = torch.Generator().manual_seed(settings["seed"])
    model.train()
    for epoch in range(epochs):
        lr = settings["learningRate"] * (0.5 * (1 + math.cos(math.pi * epoch / epochs)) if settings["cosineSchedule"] else 1)
        for group in optimizer.param_groups:
            group["lr"] = lr
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            index = order[start:start + batch]
            x, y = shift(images.index_select(0, index), settings["maxShift"], generator), labels.index_select(0, index)
            features, logits = model(x)
            loss = F.cross_entropy(logits, y) + lam * center_loss(features, centers, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                wen_update(centers, features.detach(), y, settings["alpha"])  # tracked at lambda 0 too, as the kit
    model.eval()
    return model, centers


@torch.no_grad()
def embed(model, images, batch=256):
    parts = [model(images[start:start + batch]) for start in range(0, images.shape[0], batch)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


# ---- scores: higher means "known" -------------------------------------------------------------

def class_means(features, labels, classes):
    return torch.stack([features[labels == k].mean(0) for k in range(classes)])


def mahalanobis(fit_features, fit_labels, classes):
    f = fit_features.double()
    means = class_means(f, fit_labels, classes)
    centred = f - means[fit_labels]
    precision = torch.linalg.pinv(centred.T @ centred / f.shape[0], hermitian=True)

    def score(features):
        d = features.double().unsqueeze(1) - means.unsqueeze(0)  # (N, C, D)
        return -torch.einsum("ncd,de,nce->nc", d, precision, d).min(1).values
    return score


def weibull_fit(x):
    """Two-parameter maximum likelihood by bisection on the shape's profile equation."""
    x = np.asarray(x, dtype=np.float64)
    logs = np.log(x / x.max())

    def residual(k):
        w = np.exp(k * logs)
        return (w * logs).sum() / w.sum() - 1 / k - logs.mean()
    low, high = 1e-6, 1.0
    while residual(high) < 0:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if residual(middle) < 0:
            low = middle
        else:
            high = middle
    k = (low + high) / 2
    return k, x.max() * np.exp(k * logs).mean() ** (1 / k)


def openmax(fit_logits, fit_labels, classes, tail_size, alpha_rank=None):
    z = fit_logits.double()
    correct = z.argmax(1) == fit_labels
    means, shapes, scales = [], [], []
    for k in range(classes):
        mine = z[correct & (fit_labels == k)]
        if mine.shape[0] < 2:
            mine = z[fit_labels == k]
        mean = mine.mean(0)
        distances = (mine - mean).norm(dim=1)
        shape, scale = weibull_fit(distances.sort(descending=True).values[:tail_size].numpy())
        means.append(mean)
        shapes.append(shape)
        scales.append(scale)
    means, shapes, scales = torch.stack(means), torch.tensor(shapes), torch.tensor(scales)
    alpha = alpha_rank or min(10, classes)

    def score(logits):
        v = logits.double()
        cdf = 1 - torch.exp(-(torch.cdist(v, means) / scales) ** shapes)
        ranks = v.argsort(1, descending=True).argsort(1).double()
        weights = ((alpha - ranks) / alpha).clamp(min=0)
        revised = v * (1 - weights * cdf)
        unknown = (v - revised).sum(1, keepdim=True)
        return 1 - torch.softmax(torch.cat([unknown, revised], 1), 1)[:, 0]
    return score


def scores_of(model_fit, centers, settings, classes):
    fit_features, fit_logits, fit_labels = model_fit
    t = settings["energyTemperature"]
    mahal = mahalanobis(fit_features, fit_labels, classes)
    om = openmax(fit_logits, fit_labels, classes, settings["tailSize"])
    return {
        "max softmax": lambda f, z: torch.softmax(z, 1).max(1).values,
        "max logit": lambda f, z: z.max(1).values,
        "energy" if t == 1 else f"energy (T = {t:g})": lambda f, z: t * torch.logsumexp(z / t, 1),
        "centre distance": lambda f, z: -torch.cdist(f, centers).min(1).values,
        "Mahalanobis": lambda f, z: mahal(f),
        "OpenMax": lambda f, z: om(z),
    }


# ---- measures ---------------------------------------------------------------------------------

def auroc(pos, neg):
    """Mann-Whitney U with average ranks for ties."""
    values = np.concatenate([pos, neg])
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts + 1
    ranks = (first_rank + (counts - 1) / 2)[inverse]
    return (ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def curve(pos, neg):
    """Cumulative positives and negatives at or above each distinct score, highest first."""
    values = np.concatenate([pos, neg])
    is_pos = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    thresholds = np.unique(values)[::-1]
    order = np.argsort(-values, kind="stable")
    cum_pos, cum_neg = np.cumsum(is_pos[order]), np.cumsum(1 - is_pos[order])
    last = np.searchsorted(-values[order], -thresholds, side="right") - 1  # last index scoring >= each threshold
    return cum_pos[last], cum_neg[last]


def average_precision(pos, neg):
    tp, fp = curve(pos, neg)
    recall = tp / len(pos)
    return float(np.sum(np.diff(np.concatenate([[0], recall])) * tp / (tp + fp)))


def fpr_at_tpr(pos, neg, rate=0.95):
    tp, fp = curve(pos, neg)
    return float(fp[np.argmax(tp / len(pos) >= rate - 1e-12)] / len(neg))


def oscr(known, correct, outsiders):
    tp, fp = curve(known[correct], outsiders)
    x = np.concatenate([[0], fp / len(outsiders)])
    y = np.concatenate([[0], tp / len(known)])
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def measures(known, correct, outsiders):
    return {"auroc": float(auroc(known, outsiders)), "auprIn": average_precision(known, outsiders),
            "auprOut": average_precision(-outsiders, -known), "fprAt95Tpr": fpr_at_tpr(known, outsiders),
            "oscr": oscr(known, correct, outsiders)}


def thresholds(validation, validation_predicted, classes, accept_rate):
    q = 1 - accept_rate
    every = torch.quantile(validation, q)
    return torch.stack([torch.quantile(validation[validation_predicted == k], q) if (validation_predicted == k).any() else every
                        for k in range(classes)])


# ---- the run ----------------------------------------------------------------------------------

def run(split, data_folder):
    settings = split["settings"]
    classes = len(split["known"])
    sets = load_sets(split, data_folder)
    result = {"models": [], "scores": [], "thresholds": []}
    for dim in settings["dims"]:
        for name, lam in (("softmax only", 0.0), ("center loss", settings["lambda"])):
            clock = time.perf_counter()
            model, centers = train(dim, lam, settings, *sets["fit"], classes)
            seconds = time.perf_counter() - clock
            embedded = {key: embed(model, images) for key, (images, _) in sets.items()}
            labels = {key: y for key, (_, y) in sets.items()}
            kf, kz = embedded["knownTest"]
            ky = labels["knownTest"]
            means = class_means(kf.double(), ky, classes)
            intra = (kf.double() - means[ky]).norm(dim=1).mean().item()
            inter = torch.cdist(means, means).sum().item() / (classes * (classes - 1))
            accuracy = (kz.argmax(1) == ky).double().mean().item()
            result["models"].append({"dim": dim, "model": name, "accuracy": accuracy, "intra": intra, "inter": inter,
                                     "ratio": intra / inter, "trainSeconds": seconds})
            print(f"{dim}-D {name}: accuracy {accuracy:.4f}, intra/inter {intra / inter:.4f}, trained in {seconds:.0f} s", flush=True)
            correct = (kz.argmax(1) == ky).numpy()
            for score_name, score in scores_of((*embedded["fit"], labels["fit"]), centers, settings, classes).items():
                s = {key: score(*embedded[key]).double() for key in ("validation", "knownTest", "unknownTest", "far")}
                for kind, key in (("near", "unknownTest"), ("far", "far")):
                    result["scores"].append({"dim": dim, "model": name, "score": score_name, "outsiders": kind,
                                             **measures(s["knownTest"].numpy(), correct, s[key].numpy())})
                vp = embedded["validation"][1].argmax(1)
                t = thresholds(s["validation"], vp, classes, settings["acceptRate"])
                kp = kz.argmax(1)
                accepted = s["knownTest"] >= t[kp]
                result["thresholds"].append({
                    "dim": dim, "model": name, "score": score_name,
                    "validationAccepted": (s["validation"] >= t[vp]).double().mean().item(),
                    "knownAccepted": accepted.double().mean().item(),
                    "accuracyAmongAccepted": (kp == ky)[accepted].double().mean().item(),
                    "nearRejected": (s["unknownTest"] < t[embedded["unknownTest"][1].argmax(1)]).double().mean().item(),
                    "farRejected": (s["far"] < t[embedded["far"][1].argmax(1)]).double().mean().item()})
    return result


def key(row, *fields):
    return tuple(row[f] for f in fields)


def side_by_side(kit, torch_result):
    print("\n| dim | model | accuracy (kit / PyTorch) | intra / inter (kit / PyTorch) |\n|---|---|---|---|")
    theirs = {key(m, "dim", "model"): m for m in torch_result["models"]}
    for m in kit["models"]:
        t = theirs[key(m, "dim", "model")]
        print(f"| {m['dim']} | {m['model']} | {m['accuracy']:.4f} / {t['accuracy']:.4f} | {m['ratio']:.3f} / {t['ratio']:.3f} |")
    print("\n| dim | model | outsiders | score | AUROC | AUPR-in | AUPR-out | FPR at 95 % TPR | OSCR |\n|---|---|---|---|---|---|---|---|---|")
    theirs = {key(r, "dim", "model", "score", "outsiders"): r for r in torch_result["scores"]}
    for r in kit["scores"]:
        t = theirs[key(r, "dim", "model", "score", "outsiders")]
        cells = " | ".join(f"{r[m]:.3f} / {t[m]:.3f}" for m in ("auroc", "auprIn", "auprOut", "fprAt95Tpr", "oscr"))
        print(f"| {r['dim']} | {r['model']} | {r['outsiders']} | {r['score']} | {cells} |")


def check_kit_scores(path):
    """The kit's own scores through this file's measures: both implementations on identical input."""
    with open(path) as f:
        rows = json.load(f)
    worst = 0.0
    for row in rows:
        known, correct = np.array(row["known"]), np.array(row["correct"], dtype=bool)
        for kind in ("near", "far"):
            ours = measures(known, correct, np.array(row[kind]))
            worst = max(worst, max(abs(ours[m] - row["measures"][kind][m]) for m in ours))
    print(f"\nthe kit's scores of {len(rows)} network and score pairs through this script's measures: largest difference {worst:.2e}")
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", help="split.json written by notebook 7")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data"),
                        help="the kit's data folder (default: the repository's data/)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folder = os.path.dirname(os.path.abspath(args.split))
    with open(args.split) as f:
        split = json.load(f)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; known digits {split['known']}, held out {split['unknown']}", flush=True)
    clock = time.perf_counter()
    result = run(split, args.data)
    result["seconds"] = time.perf_counter() - clock
    out = os.path.join(folder, "torch-results.json")
    with open(out + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(out + ".tmp", out)
    print(f"wrote {out} ({result['seconds']:.0f} s)")
    kit_path = os.path.join(folder, "kit-results.json")
    if os.path.exists(kit_path):
        with open(kit_path) as f:
            side_by_side(json.load(f), result)
    scores_path = os.path.join(folder, "kit-scores.json")
    if os.path.exists(scores_path) and check_kit_scores(scores_path) > 1e-9:
        sys.exit("the kit's measures differ from this script's on the same scores")


if __name__ == "__main__":
    main()
