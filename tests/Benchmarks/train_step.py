"""PyTorch side of the training-step benchmark: the same work as CenterLossKit's Trainer step.

LeNet++ (2-D features) forward, cross-entropy + 0.1 * center loss, backward, Adam (lr 1e-3), then Wen et
al.'s centre update (alpha 0.5) on a buffer; batches drawn by a shuffled index, loss sums kept on the
device and read once per epoch. Started by the C# harness (`dotnet run ... -- step`), which alternates
rounds between this worker and TorchSharp; it talks JSON lines over stdin/stdout:

  startup        -> {"torch": version, "threads": n, "epoch_seconds": s, "rss_before_mb": m, "peak_rss_mb": p}
  "steps K"      -> {"step_ms": [K times]}
  "quit"         -> exits

Run it alone for a quick look:  /usr/bin/python3 tests/Benchmarks/train_step.py --threads 2 --epoch-images 1280
"""
import argparse
import json
import sys
import time

import torch
from torch import nn


def conv_block(cin, cout):
    return [nn.Conv2d(cin, cout, 5, padding=2), nn.PReLU(cout)]


class LeNetPlusPlus(nn.Module):
    def __init__(self, feat_dim=2, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            *conv_block(1, 32), *conv_block(32, 32), nn.MaxPool2d(2),
            *conv_block(32, 64), *conv_block(64, 64), nn.MaxPool2d(2),
            *conv_block(64, 128), *conv_block(128, 128), nn.MaxPool2d(2),
            nn.Flatten())
        self.feature = nn.Sequential(nn.Linear(128 * 3 * 3, feat_dim), nn.PReLU(1))
        self.classifier = nn.Linear(feat_dim, num_classes)

    def forward(self, x):
        f = self.feature(self.body(x))
        return f, self.classifier(f)


def center_loss(features, centers, labels):
    """Half the mean squared distance of each feature to its class centre, as the kit's CenterLoss."""
    return 0.5 * (features - centers.index_select(0, labels)).pow(2).sum(1).mean()


def wen_update(centers, features, labels, alpha):
    """Wen et al.'s rule in place: c_j -= alpha * sum_{y_i = j}(c_j - x_i) / (1 + n_j)."""
    toward = centers.index_select(0, labels) - features
    _, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    share = counts.index_select(0, inverse).to(toward.dtype).add_(1).unsqueeze(1)
    centers.index_add_(0, labels, toward / share, alpha=-alpha)


class Run:
    def __init__(self, batch, lam=0.1, alpha=0.5):
        torch.manual_seed(1)
        self.batch, self.lam, self.alpha = batch, lam, alpha
        self.model = LeNetPlusPlus()
        self.centers = torch.empty(10, 2)
        nn.init.xavier_uniform_(self.centers)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def data(self, n):
        return torch.randn(n, 1, 28, 28), torch.randint(0, 10, (n,))

    def step(self, x, y, sums):
        features, logits = self.model(x)
        center = center_loss(features, self.centers, y)
        softmax = nn.functional.cross_entropy(logits, y)
        total = softmax + self.lam * center
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.step()
        with torch.no_grad():
            wen_update(self.centers, features.detach(), y, self.alpha)
            b = y.shape[0]
            sums.add_(torch.stack([softmax.detach() * b, center.detach() * b, total.detach() * b,
                                   logits.argmax(1).eq(y).sum()]).double())

    def epoch(self, images, labels, on_step=None):
        sums = torch.zeros(4, dtype=torch.float64)
        order = torch.randperm(labels.shape[0])
        for start in range(0, labels.shape[0], self.batch):
            index = order[start:start + self.batch]
            self.step(images.index_select(0, index), labels.index_select(0, index), sums)
            if on_step:
                on_step()
        return sums.tolist()


def rss_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field + " not in /proc/self/status")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epoch-images", type=int, default=8000)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run = Run(args.batch)

    # Peak memory of one epoch, measured first while the process is fresh.
    images, labels = run.data(args.epoch_images)
    before = rss_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM, the peak resident set
    clock = time.perf_counter()
    run.epoch(images, labels)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "epoch_seconds": time.perf_counter() - clock,
                      "rss_before_mb": before, "peak_rss_mb": rss_mb("VmHWM")}), flush=True)

    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        count = int(command[1])
        images, labels = run.data(count * args.batch)
        times = []
        last = [time.perf_counter()]

        def on_step():
            now = time.perf_counter()
            times.append((now - last[0]) * 1000)
            last[0] = now

        run.epoch(images, labels, on_step)
        print(json.dumps({"step_ms": times}), flush=True)


if __name__ == "__main__":
    main()
