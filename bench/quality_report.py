"""The Markdown report of the label-quality benchmark: a headline table, then one section per
dataset and the studies of DEP's form."""

from __future__ import annotations

from typing import Any

from dataerrors.analysis.dep import NEIGHBOR_WEIGHT

from .metrics import N_DRAWS, TOP_N

DEP = "dataerrors DEP"
CLEANLAB_PREFIX = "cleanlab "
FLAG_NAMES = ("dataerrors is_likely_mislabeled", "cleanlab find_label_issues")


def markdown_report(
    evaluations: list[dict[str, Any]],
    summaries: list[dict[str, Any]],
    forms: dict[str, dict[str, float]],
    study: dict[str, Any] | None,
) -> str:
    """Format the figures as Markdown: a headline table, then one section per dataset."""
    descriptions = {entry["dataset"]: entry["description"] for entry in evaluations}
    lines = [
        "# Label quality: dataerrors vs cleanlab",
        "",
        "AP: average precision against the known errors (confirmed by people, except the "
        "synthetic ones of mnist-memorize). Figures of datasets with several seeds are means "
        "over the seeds (± population standard deviation). Flags: precision / recall. "
        "\"DEP - best, 95%\": the interval of DEP's AP minus cleanlab's best AP (mean over the "
        f"seeds) over {N_DRAWS:,} resamples of the samples with replacement; \"DEP >= best\": the share "
        "of those resamples in which DEP's AP is at least cleanlab's best. With one set of "
        "probabilities and no embeddings (the published cases) DEP ranks exactly as "
        "normalized_margin, so those rows are ties by construction. In the sections below, "
        f"\"candidate recall@{TOP_N}\" is the share of the samples that people checked (confirmed "
        f"or not) found in the top {TOP_N}.",
        "",
        "| ground truth | seeds | errors | DEP AP | cleanlab best AP | DEP / best | "
        "DEP - best, 95% | DEP >= best | flag P / R (dataerrors) | "
        "flag P / R (find_label_issues) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for summary in summaries:
        rankings_ = summary["rankings"]
        ours, theirs = (summary["flags"][name] for name in FLAG_NAMES)
        best = summary["cleanlab_best"]
        low, high = summary["dep_minus_best_interval"]
        lines.append(
            f"| {summary['dataset']} | {summary['n_cases']} | {summary['n_errors']:.0f} | "
            f"{rankings_[DEP]['average_precision']:.3f} | "
            f"{rankings_[best]['average_precision']:.3f} ({best.removeprefix(CLEANLAB_PREFIX)}) | "
            f"{summary['dep_ap_over_cleanlab_best']:.2f} | "
            f"{low:+.3f} to {high:+.3f} | {summary['dep_at_least_best_share']:.2f} | "
            f"{ours['precision']:.3f} / {ours['recall']:.3f} | "
            f"{theirs['precision']:.3f} / {theirs['recall']:.3f} |"
        )
    lines.append("")
    for summary in summaries:
        lines += _dataset_lines(summary, descriptions[summary["dataset"]])
    if forms:
        lines += _form_lines(forms)
    if study is not None:
        lines += _study_lines(study)
    return "\n".join(lines)


def _form_lines(forms: dict[str, dict[str, float]]) -> list[str]:
    names = list(next(iter(forms.values())))
    lines = [
        "## Margin signal of DEP",
        "",
        "Average precision of DEP with each form of its margin signal, blended with the "
        "neighbour signal as DEP does where the case has embeddings:",
        "",
        "| ground truth | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for dataset, figures in forms.items():
        lines.append(f"| {dataset} | " + " | ".join(f"{figures[name]:.3f}" for name in names) + " |")
    return lines + [""]


def _dataset_lines(summary: dict[str, Any], description: str) -> list[str]:
    several = summary["n_cases"] > 1

    def cell(figures: dict[str, float], key: str, digits: int = 3) -> str:
        text = f"{figures[key]:.{digits}f}"
        return text + f" ± {figures[key + '_std']:.{digits}f}" if several else text

    if several:
        description = description.rsplit(", seed", 1)[0] + f", {summary['n_cases']} seeds"
    lines = [
        f"## {summary['dataset']}",
        "",
        f"{description}. Known errors: {summary['n_errors']:.0f}; K = that number.",
        "",
        f"| ranking | AP | AUROC | precision@K | recall@{TOP_N} | candidate recall@{TOP_N} |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in summary["rankings"].items():
        lines.append(
            f"| {name.strip()} | {cell(figures, 'average_precision')} | {cell(figures, 'auroc')} "
            f"| {cell(figures, 'precision_at_k')} | {cell(figures, 'recall_top_n')} | "
            f"{cell(figures, 'candidate_recall_top_n')} |"
        )
    lines += ["", "| flag | flagged | precision | recall |", "|---|---|---|---|"]
    for name, figures in summary["flags"].items():
        lines.append(
            f"| {name} | {cell(figures, 'n_flagged', digits=0)} | {cell(figures, 'precision')} | "
            f"{cell(figures, 'recall')} |"
        )
    estimates = summary["estimated_errors"]
    lines += [
        "",
        f"Estimated label errors: dataerrors {estimates['dataerrors']:.0f}, cleanlab "
        f"num_label_issues {estimates['cleanlab num_label_issues']:.0f}; known "
        f"{summary['n_errors']:.0f}.",
        "",
    ]
    return lines


def _study_lines(study: dict[str, Any]) -> list[str]:
    weights = study["weights"]
    lines = [
        "## Neighbour weight of DEP, leave one case out",
        "",
        "Average precision of DEP = (1 - w) (1 - min(AUM, last margin)) / 2 + w neighbour "
        "disagreement:",
        "",
        "| case | " + " | ".join(f"w={weight:.1f}" for weight in weights) + " |",
        "|---|" + "---|" * len(weights),
    ]
    for name, values in study["average_precision"].items():
        lines.append(f"| {name} | " + " | ".join(f"{value:.3f}" for value in values) + " |")
    lines += ["", "| held-out case | w chosen on the others | its AP | AP at the default w |",
              "|---|---|---|---|"]
    for name, entry in study["leave_one_out"].items():
        lines.append(
            f"| {name} | {entry['chosen_weight']:.1f} | {entry['held_out_ap']:.3f} | "
            f"{entry['default_weight_ap']:.3f} (w={NEIGHBOR_WEIGHT}) |"
        )
    return lines + [""]
