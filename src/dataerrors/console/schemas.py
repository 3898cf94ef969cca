"""Request and response bodies of the console API, as they appear in its OpenAPI schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    field: str = Field(description="The parameter or body field at fault.")
    message: str


class ErrorBody(BaseModel):
    """Every error response has this shape."""

    status: int = Field(description="The HTTP status code.")
    message: str = Field(description="What failed and how to fix it.")
    errors: list[FieldError] = Field(default_factory=list)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid input"},
    404: {"model": ErrorBody, "description": "Run, split, sample or selection not found"},
    422: {"model": ErrorBody, "description": "Malformed parameters"},
}


class SplitInfo(BaseModel):
    name: str
    n_samples: int = Field(description="Samples logged for this split.")
    epochs: list[int]
    is_analyzed: bool
    columns: list[str] = Field(description="Columns of the split's analysis table.")
    sortable_columns: list[str]
    has_map: bool = Field(description="Whether the analysis has 2D map coordinates x, y.")
    has_clusters: bool
    has_coverage: bool = Field(description="Whether the analysis has out-of-coverage flags.")
    n_scored: int | None = Field(
        None, description="Samples with a label and model outputs, which the analysis scored; "
        "null when the analysis summary has no entry for the split."
    )
    n_labeled: int | None = Field(
        None, description="Samples with a given label; 0 in an unlabelled (inference) split."
    )
    cautions: list[dict[str, str]] = Field(
        default_factory=list, description="Notes that put the split's scores in context: kind, message."
    )
    thumbnail_url_template: str | None = Field(
        None, description="A sample's thumbnail_url with {id} in place of its URL-encoded id; "
        "null in text runs and in splits logged without images."
    )


class RunSummary(BaseModel):
    key: str = Field(description="project/run")
    project: str
    run: str
    task: str
    status: str
    n_classes: int
    splits: list[str]


class RunInfo(RunSummary):
    class_names: list[str]
    split_info: list[SplitInfo]
    features: dict[str, bool] = Field(
        description="Optional read API features: similar samples and explanations."
    )
    flags: list[str] = Field(description="Flag names accepted by the samples filter.")
    user: str = Field(description="The author recorded with edits made through this console.")
    version: str = Field(description="Changes when the run is analyzed again.")


class RunList(BaseModel):
    root: str
    runs: list[RunSummary]


class SamplePage(BaseModel):
    """One page of samples and the counts behind it."""

    rows: list[dict[str, Any]] = Field(
        description="Analysis columns, *_name for each class column, row (map point index), "
        "edit_action, edit_label, text or input, thumbnail_url, metadata."
    )
    n_matching: int = Field(description="Samples matching the filters.")
    n_samples: int = Field(description="Samples in the split.")
    offset: int
    limit: int
    sort: str
    order: Literal["asc", "desc"]


class SampleIds(BaseModel):
    ids: list[Any]
    n_matching: int
    is_truncated: bool


class SampleRow(BaseModel):
    id: Any = Field(description="Sample id.")
    row: int = Field(description="Row of the analysis table, the index of the map point.")


class EpochScores(BaseModel):
    epoch: int
    p_given: float | None = Field(description="Probability of the given label.")
    margin: float | None = Field(description="p_given minus the largest other probability, in [-1, 1].")
    predicted: int
    predicted_name: str | None
    top_classes: list[dict[str, Any]]


class SampleDetail(BaseModel):
    sample: dict[str, Any]
    history: list[EpochScores]
    explanation: dict[str, Any] | None = Field(
        description="Why the sample is suspect (run.explain), or null where this run cannot say."
    )
    similar: list[dict[str, Any]] | None = Field(
        description="Nearest training samples (run.similar), or null where unavailable."
    )
    similar_message: str | None = Field(description="Why similar samples are unavailable.")


class MapInfo(BaseModel):
    available: bool
    message: str | None = None
    n_points: int = 0
    columns: list[str] = Field(default_factory=list, description="Column order of /map/points.")
    x_range: list[float] | None = None
    y_range: list[float] | None = None
    categories: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="For label, predicted and cluster: the values, their names and counts.",
    )


class SelectionRequest(BaseModel):
    polygon: list[tuple[float, float]] = Field(
        min_length=3, max_length=100_000,
        description="Vertices [x, y] in map coordinates; the last connects to the first.",
    )


class SelectionResult(BaseModel):
    selection: str = Field(description="Token for the samples filter (selection=...).")
    n_selected: int
    mean_dep: float | None
    counts: dict[str, dict[str, int]] = Field(
        description="Selected points per value of label, predicted and cluster."
    )


class ClusterInfo(BaseModel):
    cluster: int
    n_samples: int
    mean_dep: float | None
    n_likely_mislabeled: int
    top_labels: list[dict[str, Any]]
    n_selected: int | None = None


class ClusterList(BaseModel):
    available: bool
    clusters: list[ClusterInfo]
    summary: Any = Field(None, description="The clusters entry of the analysis summary, if any.")


class CoverageSplit(BaseModel):
    split: str
    available: bool
    n_samples: int
    n_out_of_coverage: int | None
    out_of_coverage_rate: float | None
    summary: Any = None
    cautions: list[str] = Field(default_factory=list,
                                description="Why this split's out-of-coverage rate may mislead.")


class Coverage(BaseModel):
    splits: list[CoverageSplit]


class EditRequest(BaseModel):
    id: int | str = Field(description="Sample id.")
    action: Literal["relabel", "remove", "mark_for_labeling", "restore"]
    label: int | None = Field(None, description="New class index, for relabel only.")


class EditBatchRequest(BaseModel):
    split: str
    edits: list[EditRequest] = Field(min_length=1, max_length=100_000)
    note: str | None = Field(None, max_length=500)


class EditBatchResult(BaseModel):
    batch: int
    n_edits: int


class EditBatch(BaseModel):
    batch: int
    created_at: str
    author: str
    note: str | None
    undoes: int | None
    n_edits: int
    undone_by: int | None
    reapplies: int | None = None
    reapplied_by: int | None = None


class EditLogBody(BaseModel):
    batches: list[EditBatch]
    counts: dict[str, dict[str, int]] = Field(
        description="Per split, the current number of samples per edit action."
    )
