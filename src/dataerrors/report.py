"""Readable text report of a run's summary, for the CLI and notebooks."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Top suspects whose explanation the report prints under the table.
N_EXPLAINED_SUSPECTS = 3


#: Clusters printed per split, highest mean DEP first.
N_PRINTED_CLUSTERS = 3


def format_summary(summary: dict[str, Any], top: int = 10) -> str:
    """Return a plain-text report of every split: accuracy, errors, pairs, classes, coverage, clusters."""
    lines = [f"Run {summary['project']}/{summary['run']} (analyzed {summary['analyzed_at']})"]
    lines.extend(_coverage_header(summary.get("coverage")))
    for split, entry in summary["splits"].items():
        lines.append("")
        lines.append(f"== {split}: {entry['n_samples']} samples, epochs {entry['epochs']}")
        lines.extend(f"  caution: {caution['message']}" for caution in entry.get("cautions", []))
        if not entry["n_scored"]:
            lines.append("  no labelled sample with outputs; nothing to score.")
            lines.extend(_coverage_lines(entry))
            lines.extend(_cluster_lines(entry))
            continue
        thresholds = entry["dep_thresholds"]
        counts = entry["difficulty_counts"]
        lines.append(f"  accuracy (last epoch): {entry['accuracy']:.4f}   mean F1: {entry['mean_f1']:.4f}")
        lines.append(
            f"  DEP: mean {entry['mean_dep']:.3f}; easy < {thresholds['easy']:.3f} "
            f"({counts['easy']}), hard >= {thresholds['hard']:.3f} ({counts['hard']}), "
            f"ambiguous between ({counts['ambiguous']})"
        )
        lines.append(
            f"  likely mislabeled: {entry['n_likely_mislabeled']} flagged; estimated label "
            f"errors {entry['estimated_label_errors']:.0f} "
            f"({100 * entry['estimated_error_rate']:.2f}% of scored samples). Each class flags "
            "its highest-DEP samples up to its own estimated count, so a high DEP can stay "
            "unflagged."
        )
        if entry["top_confused_pairs"]:
            lines.append("  most confused pairs (given -> predicted: count, share of given class):")
            for pair in entry["top_confused_pairs"][:5]:
                lines.append(
                    f"    {pair['label_name']} -> {pair['predicted_name']}: {pair['count']} "
                    f"({100 * pair['share']:.1f}%)"
                )
        if entry["underperforming_classes"]:
            lines.append(
                "  underperforming classes (F1 more than 1 std and 0.02 below the mean F1, or "
                "below half of it):"
            )
            for entry_class in entry["underperforming_classes"]:
                confused = entry_class.get("most_confused_with_name")
                if entry_class["is_small_class"]:
                    cause = "small class, imbalance likely"
                elif confused is None:  # none of its samples is misclassified
                    cause = "low precision: samples of other classes are predicted as it"
                else:
                    cause = f"most confused with {confused}"
                lines.append(
                    f"    {entry_class['label_name']}: F1 {entry_class['f1']:.3f} vs mean "
                    f"{entry_class['mean_f1']:.3f}, size {entry_class['size_ratio']:.2f}x the mean "
                    f"class size; {cause}"
                )
        suspects = entry["top_suspects"][:top]
        if suspects:
            lines.append(f"  top {len(suspects)} suspects by DEP:")
            frame = pd.DataFrame(suspects)[
                ["id", "label_name", "suggested_label_name", "dep", "is_likely_mislabeled"]
            ].rename(columns={"label_name": "given", "suggested_label_name": "suggested",
                              "is_likely_mislabeled": "flagged"})
            frame["dep"] = frame["dep"].map("{:.3f}".format)
            lines.extend("    " + row for row in frame.to_string(index=False).splitlines())
            explained = [suspect for suspect in suspects if suspect.get("explanation")]
            for suspect in explained[:N_EXPLAINED_SUSPECTS]:
                lines.append(f"    why {suspect['id']}? {suspect['explanation']}")
        lines.extend(_coverage_lines(entry))
        lines.extend(_cluster_lines(entry))
    return "\n".join(lines)


def format_suspects(frame: pd.DataFrame, split: str, top: int = 10, width: int = 100) -> str:
    """Return the ``top`` samples of ``frame`` by DEP, with given and suggested labels and inputs.

    ``frame`` is ``run.samples(split)``; inputs (texts or image paths) are cut to ``width``
    characters.
    """
    scored = frame[frame["dep"].notna()].sort_values("dep", ascending=False, kind="stable")
    lines = [f"== {split}: top {min(top, len(scored))} suspects by DEP, with their inputs",
             f"  {'dep':>5}  {'given':<12} {'suggested':<12} input"]
    for row in scored.head(top).itertuples():
        suggested = row.suggested_label_name if isinstance(row.suggested_label_name, str) else "-"
        lines.append(f"  {row.dep:5.3f}  {str(row.label_name):<12} {suggested:<12} "
                     f"{shorten(str(row.input), width)}")
    return "\n".join(lines)


def shorten(text: str, width: int) -> str:
    """Return ``text`` on one line, cut to ``width`` characters with "..." if it was longer."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _coverage_header(coverage: dict[str, Any] | None) -> list[str]:
    if not coverage:
        return []
    if coverage.get("status") != "done":
        return [f"Coverage: not computed ({coverage.get('reason')})."]
    return [
        f"Coverage: out of coverage beyond cosine distance {coverage['threshold']:.4f} to the "
        f"{ordinal(coverage['k'])} nearest training sample (flags "
        f"{100 * coverage['flag_share']:.0f}% of held-out training samples)."
    ]


def _coverage_lines(entry: dict[str, Any]) -> list[str]:
    coverage = entry.get("coverage")
    if not coverage or not coverage["n_scored"]:
        return []
    return [
        f"  out of coverage: {coverage['n_out_of_coverage']} of {coverage['n_scored']} samples "
        f"with embeddings ({100 * coverage['out_of_coverage_share']:.1f}%)"
    ]


def _cluster_lines(entry: dict[str, Any]) -> list[str]:
    clusters = entry.get("clusters")
    if not clusters or not clusters["n_clusters"]:
        return []
    lines = [
        f"  map clusters: {clusters['n_clusters']} (noise {100 * clusters['noise_share']:.1f}%); "
        f"{len(clusters['high_dep_clusters'])} with mean DEP at least 2x the split's; "
        "highest mean DEP first:"
    ]
    for cluster in clusters["clusters"][:N_PRINTED_CLUSTERS]:
        classes = ", ".join(
            f"{item['label_name']} {100 * item['share']:.0f}%" for item in cluster["main_classes"]
        )
        text = f"    cluster {cluster['cluster']}: {cluster['size']} samples"
        if cluster["mean_dep"] is not None:
            text += f", mean DEP {cluster['mean_dep']:.3f} ({cluster['dep_ratio']:.2f}x the split)"
        text += f"; {classes}"
        pair = cluster["top_confused_pair"]
        if pair is not None:
            text += f"; most confused {pair['label_name']} -> {pair['predicted_name']} ({pair['count']})"
        if cluster["cluster"] in clusters["high_dep_clusters"]:
            text += "  [high DEP]"
        lines.append(text)
    return lines


def ordinal(number: int) -> str:
    """Return ``number`` as an English ordinal: 1st, 2nd, 3rd, 10th, 11th, 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
