"""End-to-end tests of the console in a real headless Chromium, on a small real MNIST run.

Needs the Python package ``playwright`` and a Chromium binary (``/usr/bin/chromium`` from the
Debian package, or ``$DATAERRORS_CHROMIUM``); the tests are skipped without them. Screenshots of
every view are written to ``$DATAERRORS_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

import dataerrors
from dataerrors.console.server import start_in_thread

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("DATAERRORS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def console_url(console_run_copy: Path) -> Iterator[str]:
    server = start_in_thread(console_run_copy.parent.parent, port=0, user="e2e")
    yield server.url
    server.stop()


@contextmanager
def open_console(url: str) -> Iterator["playwright_api.Page"]:
    """Open the console at ``url`` in headless Chromium, once its samples table shows rows.

    Fails on leaving when the page raised a script error or the server responded with a 5xx.
    """
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        browser_page = context.new_page()
        errors: list[str] = []
        browser_page.on("pageerror", lambda error: errors.append(str(error)))
        browser_page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
                        if response.status >= 500 else None)
        browser_page.goto(url)
        browser_page.wait_for_selector("#samples-table tbody tr", timeout=30_000)
        yield browser_page
        browser.close()
        assert errors == []


@pytest.fixture
def page(console_url: str) -> Iterator["playwright_api.Page"]:
    with open_console(console_url) as browser_page:
        yield browser_page


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DATAERRORS_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def row_deps(page) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(text) for text in page.locator("#samples-table tbody .dep .value").all_inner_texts()]


def row_ids(page) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(text) for text in page.locator("#samples-table tbody .id-cell").all_inner_texts()]


def test_load_sort_lasso_relabel_export(page, screenshots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Load: sorted by DEP, highest first, with images large enough to judge.
    deps = row_deps(page)
    assert deps == sorted(deps, reverse=True)
    assert page.locator("#match-count").inner_text() == "600 matching"
    image = page.locator("#samples-table tbody img.thumb").first
    image.wait_for()
    assert image.bounding_box()["width"] >= 90
    page.screenshot(path=str(screenshots / "samples.png"))

    # Sort: lowest DEP first, then back.
    page.get_by_role("button", name="Sort order").click()
    page.wait_for_function("document.querySelector('[aria-label=\"Sort order\"]').textContent.includes('lowest')")
    page.wait_for_timeout(300)
    ascending = row_deps(page)
    assert ascending == sorted(ascending)
    assert ascending[0] <= deps[-1]
    page.get_by_role("button", name="Sort order").click()
    page.wait_for_function("document.querySelector('[aria-label=\"Sort order\"]').textContent.includes('highest')")

    # Details of the top sample with the keyboard.
    page.keyboard.press("Enter")
    page.wait_for_selector("#detail .hero img.big")
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "detail.png"))
    page.keyboard.press("Escape")
    assert page.locator("#detail").is_hidden()

    # Lasso on the map, then show the selection in the Samples view.
    page.keyboard.press("2")
    drag = page.locator("#map-lasso")
    drag.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    box = drag.bounding_box()
    left, top = box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15
    right, bottom = box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.8
    page.mouse.move(left, top)
    page.mouse.down()
    for x, y in [(right, top), (right, bottom), (left, bottom), (left, top + 3)]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    page.wait_for_selector("#selection-count", timeout=15_000)
    n_selected = int(page.locator("#selection-count").inner_text().replace(",", ""))
    assert 0 < n_selected < 600
    # Without Samples filters the panel has no "match the filters" line, and no stand-in text for it.
    assert "null" not in page.locator("#map-selection").inner_text()
    page.screenshot(path=str(screenshots / "map.png"))
    page.click("#show-selection")
    page.wait_for_selector(".selection-chip")
    page.wait_for_function(f"document.querySelector('#match-count').textContent === '{n_selected} matching'")

    # Relabel the top two samples of the selection to class 0, and apply.
    ids = row_ids(page)[:2]
    for sample_id in ids:
        page.get_by_label(f"Select sample {sample_id}").check()
    page.get_by_label("Relabel selected to").select_option("0")
    page.wait_for_selector(".flag.pending")
    assert page.locator("#cart-badge").inner_text() == "2"
    page.keyboard.press("5")
    page.wait_for_selector("#apply-edits:not([disabled])")
    page.screenshot(path=str(screenshots / "edits-pending.png"))
    page.click("#apply-edits")
    page.wait_for_selector("#batches .batch")
    assert page.locator("#cart-badge").is_hidden()

    # Export the cleaned labels and check the file.
    with page.expect_download() as download:
        page.click("[data-export='cleaned-csv-training']")
    path = tmp_path / "cleaned.csv"
    download.value.save_as(path)
    cleaned = pd.read_csv(path).set_index("id")
    assert len(cleaned) == 600
    for sample_id in ids:
        assert cleaned.loc[sample_id, "label"] == 0
        assert bool(cleaned.loc[sample_id, "is_relabeled"])
    assert int(cleaned["is_relabeled"].sum()) == 2
    page.screenshot(path=str(screenshots / "edits.png"), full_page=True)


def test_mark_for_labeling_and_export_label_studio(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Nothing marked yet: the console shows a message instead of downloading an empty task list.
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.keyboard.press("5")
    page.click("[data-export='label-studio-training']")
    page.wait_for_selector(".toast.error >> text=No sample of split training is marked for labeling")
    page.wait_for_timeout(500)
    assert downloads == []
    page.keyboard.press("1")
    page.wait_for_selector("#samples-table tbody tr")

    top_id = row_ids(page)[0]
    page.keyboard.press("m")
    page.wait_for_selector(".flag.pending")
    page.keyboard.press("5")
    page.click("#apply-edits")
    page.wait_for_selector("#batches .batch")
    with page.expect_download() as download:
        page.click("[data-export='label-studio-training']")
    assert download.value.suggested_filename == "mnist-mnist-cnn-training-label-studio-marked.json"
    path = tmp_path / "tasks.json"
    download.value.save_as(path)
    tasks = json.loads(path.read_text())
    assert [task["data"]["id"] for task in tasks] == [top_id]
    assert tasks[0]["data"]["image"].startswith("data:image/png;base64,")
    assert tasks[0]["predictions"][0]["result"][0]["value"]["choices"]


def test_metrics_coverage_and_undo(page, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("3")
    page.wait_for_selector("#class-chart .main-svg")
    page.wait_for_selector("#confusion .main-svg")
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "metrics.png"), full_page=True)
    first_pair = page.locator("#pairs-table tbody tr").first
    given, predicted = first_pair.locator("td").nth(0).inner_text(), first_pair.locator("td").nth(1).inner_text()
    count = first_pair.locator("td").nth(2).inner_text()
    first_pair.click()
    page.wait_for_function(f"document.querySelector('#match-count')?.textContent === '{count} matching'")
    assert set(page.locator("#samples-table tbody tr td:nth-child(4)").all_inner_texts()) == {given}
    assert set(page.locator("#samples-table tbody tr td:nth-child(5)").all_inner_texts()) == {predicted}

    page.keyboard.press("4")
    page.wait_for_selector("#coverage-rates")
    page.wait_for_selector("#coverage-samples .card", timeout=15_000)
    training_row = page.locator("#coverage-rates tbody tr", has_text="training")
    assert "reference" in training_row.inner_text()
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "coverage.png"), full_page=True)
    page.locator("#coverage-samples .card").first.click()
    page.wait_for_selector("#detail .head h2")
    page.keyboard.press("Escape")

    page.keyboard.press("1")
    page.wait_for_selector("#samples-table tbody tr")
    page.keyboard.press("r")
    page.keyboard.press("5")
    page.click("#apply-edits")
    page.wait_for_selector("#batches .batch button.danger")
    page.click("#batches .batch button.danger")
    page.wait_for_selector("#batches .batch.undone")
    page.locator("#batches .batch.undone").get_by_role("button", name="Apply again").click()
    page.wait_for_function("document.querySelector('#batches .batch b').textContent === 'Batch 3'")
    assert "batch 1 applied again" in page.locator("#batches .batch").first.inner_text()
    assert page.locator("#batches .batch.undone").get_by_role("button", name="Apply again").count() == 0


def test_help_and_grid(page, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()
    page.get_by_role("button", name="Grid view").click()
    page.wait_for_selector("#samples-grid .card img.thumb")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "samples-grid.png"))
    before = page.locator("#match-count").inner_text()
    page.locator("[data-flag='likely_mislabeled']").click()
    page.wait_for_function(f"document.querySelector('#match-count').textContent !== '{before}'")
    n_cards = page.locator("#samples-grid .card").count()
    assert n_cards > 0
    assert page.locator("#samples-grid .card .flag.mislabeled").count() == n_cards



def test_filters_and_sort_in_address(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("select[name='label']").select_option(index=4)  # the fourth class: "3"
    page.wait_for_function("location.hash.includes('label=3')")
    page.locator("[data-flag='misclassified']").click()
    page.wait_for_function("location.hash.includes('flag=misclassified')")
    dep_from = page.locator("input[name='dep_min']")
    dep_from.fill("0.2")
    dep_from.press("Enter")
    page.wait_for_function("location.hash.includes('dep_min=0.2')")
    page.get_by_role("button", name="Sort order").click()
    page.wait_for_function("location.hash.includes('order=asc')")
    page.wait_for_timeout(300)
    count, ids = page.locator("#match-count").inner_text(), row_ids(page)
    assert count != "600 matching"

    # A reload opens the same list, with the same controls set.
    page.reload()
    page.wait_for_selector("#match-count")
    page.wait_for_function(f"document.querySelector('#match-count').textContent === '{count}'")
    assert row_ids(page) == ids
    assert page.locator("select[name='label']").input_value() == "3"
    assert page.locator("input[name='dep_min']").input_value() == "0.2"
    assert page.locator("[data-flag='misclassified']").get_attribute("aria-pressed") == "true"
    assert "lowest" in page.get_by_role("button", name="Sort order").inner_text()
    assert page.locator(".toast.error").count() == 0  # nothing left out of a link it wrote

    # A hand-edited address with values the console never writes still opens the whole split.
    url = page.url.split("#")[0]
    # Changing only the address's hash makes the console reload itself with what it names.
    with page.expect_event("load"):
        page.goto(f"{url}#run=nope&flag=bogus&dep_min=abc&label=99,x")
    page.wait_for_function("document.querySelector('#match-count')?.textContent === '600 matching'")
    assert page.locator("select[name='label']").input_value() == ""
    notice = page.locator(".toast.error", has_text="Left out of the address").inner_text()
    for part in ("run=nope", "flag=bogus", "dep_min=abc", "label=x"):
        assert part in notice

    # DEP bounds in the wrong order, in the address or typed, filter the range between them.
    with page.expect_event("load"):
        page.goto(f"{url}#dep_min=0.9&dep_max=0.1")
    page.wait_for_selector("#match-count")
    assert page.locator("input[name='dep_min']").input_value() == "0.1"
    assert page.locator("input[name='dep_max']").input_value() == "0.9"
    dep_to = page.locator("input[name='dep_max']")
    dep_to.fill("0.05")
    dep_to.press("Enter")
    page.wait_for_function("location.hash.includes('dep_min=0.05') && location.hash.includes('dep_max=0.1')")
    page.wait_for_selector("#match-count")


def test_map_greys_unfiltered_samples(page, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    page.locator("select[name='label']").select_option(index=2)
    page.wait_for_function("location.hash.includes('label=1')")
    page.wait_for_timeout(300)
    n_matching = page.locator("#match-count").inner_text().split()[0]
    page.keyboard.press("2")
    note = page.locator("#map-filter-note")
    note.wait_for(timeout=30_000)
    assert note.inner_text().startswith(f"{n_matching} of 600 samples match the Samples filters")
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "map-filtered.png"))
    # A box over the whole map selects every point, of which the filtered ones are listed.
    page.get_by_role("button", name="Box").click()
    drag = page.locator("#map-lasso")
    box = drag.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=8)
    page.mouse.up()
    page.wait_for_selector("#selection-matching")
    assert page.locator("#selection-matching").inner_text().startswith(f"{n_matching} of them")
    note.get_by_role("button", name="Clear filters").click()
    page.wait_for_selector("#map-filter-note", state="detached")
    page.keyboard.press("1")
    page.wait_for_function("document.querySelector('#match-count').textContent === '600 matching'")


def test_cart_over_storage_quota_keeps_working(page) -> None:  # type: ignore[no-untyped-def]
    # A browser whose session storage is full: the cart stays in memory and warns the user.
    page.evaluate("() => { Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); }; }")
    page.get_by_role("button", name="Select all 600").click()
    page.wait_for_timeout(300)
    page.keyboard.press("m")
    page.wait_for_function("document.querySelector('#cart-badge').textContent === '600'")
    assert page.locator(".toast.error", has_text="more than the browser keeps").count() == 1
    page.keyboard.press("5")
    page.click("#apply-edits")
    page.wait_for_selector("#batches .batch")
    assert "600 edit(s)" in page.locator("#batches .batch").first.inner_text()


def test_sort_by_margin_shows_its_values(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("select[name='sort']").select_option("margin")
    page.wait_for_function("location.hash.includes('sort=margin') && location.hash.includes('order=asc')")
    page.wait_for_selector("#samples-table td.sort-value")
    header = page.locator("#samples-table thead th").nth(7).inner_text()
    assert header.lower().startswith("margin")
    values = [float(text) for text in page.locator("#samples-table td.sort-value").all_inner_texts()]
    assert values == sorted(values)
    assert values[0] < 0  # lowest margin first: the model prefers another class


def test_map_filter_follows_split_and_edits(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("select[name='label']").select_option(index=2)
    page.wait_for_function("location.hash.includes('label=1')")
    page.keyboard.press("2")
    page.locator("#map-filter-note").wait_for(timeout=30_000)
    # Another split starts without filters: no mask of the training split may remain.
    page.locator("#split-picker").select_option("test")
    page.wait_for_function("document.querySelector('#map-count')?.textContent.startsWith('200 points')", timeout=30_000)
    assert page.locator("#map-filter-note").count() == 0
    # A filter on edits matches other samples once an edit is applied.
    page.locator("#split-picker").select_option("training")
    page.keyboard.press("1")
    page.locator("[data-flag='edited']").click()
    page.wait_for_function("document.querySelector('#match-count')?.textContent === '0 matching'")
    assert page.get_by_role("button", name="Select all 0").is_disabled()
    page.keyboard.press("2")
    page.wait_for_function("document.querySelector('#map-filter-note')?.textContent.startsWith('0 of 600')", timeout=30_000)
    page.keyboard.press("1")
    page.locator("[data-flag='edited']").click()  # off again, to pick a sample
    page.wait_for_function("document.querySelector('#match-count')?.textContent === '600 matching'")
    page.keyboard.press("m")
    page.keyboard.press("5")
    page.click("#apply-edits")
    page.wait_for_selector("#batches .batch")
    page.keyboard.press("1")
    page.locator("[data-flag='edited']").click()
    page.wait_for_function("document.querySelector('#match-count')?.textContent === '1 matching'")
    page.keyboard.press("2")
    page.wait_for_function("document.querySelector('#map-filter-note')?.textContent.startsWith('1 of 600')", timeout=30_000)


def drag_box(page, left: float, top: float, right: float, bottom: float) -> None:  # type: ignore[no-untyped-def]
    """Draw a box on the map between fractions of its drawing area (0 is the left or top edge)."""
    page.get_by_role("button", name="Box").click()
    area = page.locator("#map-lasso").bounding_box()
    page.mouse.move(area["x"] + area["width"] * left, area["y"] + area["height"] * top)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * right, area["y"] + area["height"] * bottom, steps=8)
    page.mouse.up()


def test_map_selection_in_address(page, console_run_copy: Path) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("2")
    page.locator("#map-lasso").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    drag_box(page, 0.1, 0.1, 0.6, 0.7)
    page.wait_for_selector("#selection-count", timeout=15_000)
    n_selected = page.locator("#selection-count").inner_text()
    page.click("#show-selection")
    page.wait_for_function(f"document.querySelector('#match-count')?.textContent === '{n_selected} matching'")
    page.wait_for_function("location.hash.includes('shape=')")
    ids = row_ids(page)

    # A reload re-creates the selection from the shape in the address.
    page.reload()
    page.wait_for_function(f"document.querySelector('#match-count')?.textContent === '{n_selected} matching'")
    assert row_ids(page) == ids
    assert page.locator(".selection-chip").inner_text().startswith(f"Map selection {n_selected}")
    assert page.locator(".toast.error").count() == 0

    # So does a new server, which has none of the old selections; its map shows the selection.
    url, address = page.url.split("#")
    server = start_in_thread(console_run_copy.parent.parent, port=0, user="e2e")
    try:
        page.goto(f"{server.url}#{address}")
        page.wait_for_function(f"document.querySelector('#match-count')?.textContent === '{n_selected} matching'")
        assert row_ids(page) == ids
        page.keyboard.press("2")
        page.wait_for_selector("#selection-count", timeout=30_000)
        assert page.locator("#selection-count").inner_text() == n_selected
    finally:
        server.stop()

    # A long lasso is stored with at most 100 vertices, which read back unchanged.
    stored = page.evaluate("""async () => {
        const { decodeShape, encodeShape, simplifyShape } = await import("/static/js/shape.js");
        const circle = Array.from({ length: 1000 }, (_, i) => [Math.cos(i / 159.15), 3 * Math.sin(i / 159.15)]);
        const shape = simplifyShape(circle, [-1, 1], [-3, 3]);
        return { shape, decoded: decodeShape(encodeShape(shape)), text: encodeShape(shape) };
    }""")
    assert 90 <= len(stored["shape"]) <= 100
    assert stored["decoded"] == stored["shape"]
    assert len(stored["text"]) < 2000
    # The larger extent is 6, so coordinates keep 4 decimals: the power of ten at most 6e-4.
    assert all(abs(value * 1e4 - round(value * 1e4)) < 1e-6 for vertex in stored["shape"] for value in vertex)

    # A shape the console could not have written is left out, and the whole split is listed.
    too_many_vertices = "_".join(["0.5"] * 2 * 1000)
    for shape in ("1_2_3", "1_2_3_4_x_6", too_many_vertices):
        with page.expect_event("load"):
            page.goto(f"{url}#shape={shape}")
        page.wait_for_function("document.querySelector('#match-count')?.textContent === '600 matching'")
        assert "shape=" in page.locator(".toast.error", has_text="Left out of the address").inner_text()
        assert page.locator(".selection-chip").count() == 0


def test_cart_thumbnail_after_reload(page) -> None:  # type: ignore[no-untyped-def]
    page.keyboard.press("m")
    page.wait_for_selector(".flag.pending")
    page.reload()
    page.wait_for_selector("#samples-table tbody tr")
    page.keyboard.press("5")
    page.wait_for_selector("#cart .cart-item")
    assert page.locator("#cart .cart-item img.thumb").count() == 1
    assert page.locator("#cart .cart-item .thumb-missing").count() == 0


def test_unscored_run_explains_empty_scores(tmp_path: Path) -> None:
    run = dataerrors.init("project", "unscored", ["a", "b"], root=tmp_path)
    run.log_samples("training", np.arange(20), np.arange(20) % 2, inputs=np.zeros((20, 8, 8), np.uint8))
    run.finish(progress=False)
    server = start_in_thread(tmp_path, port=0, user="e2e")
    try:
        with open_console(server.url) as page:
            assert "nothing to score" in page.locator("#view-samples .unscored-note").inner_text()
            page.keyboard.press("3")
            assert "nothing to score" in page.locator("#view-metrics .unscored-note").inner_text()
    finally:
        server.stop()


def test_switching_runs_resets_filters(console_run_copy: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "two-runs"
    shutil.copytree(console_run_copy, root / "mnist" / "a-run")
    shutil.copytree(console_run_copy, root / "mnist" / "b-run")
    server = start_in_thread(root, port=0, user="e2e")
    try:
        with open_console(server.url) as page:
            everything = page.locator("#match-count").inner_text()
            page.locator("[data-flag='misclassified']").click()
            page.wait_for_function("location.hash.includes('flag=misclassified')")
            page.wait_for_function(
                f"document.querySelector('#match-count')?.textContent !== '{everything}'")
            page.locator("#run-picker").select_option("mnist/b-run")
            page.wait_for_function("location.hash.includes('b-run')")
            page.wait_for_function(
                f"document.querySelector('#match-count')?.textContent === '{everything}'")
            assert "flag=" not in page.evaluate("location.hash")
            assert page.locator("[data-flag='misclassified']").get_attribute("aria-pressed") == "false"
    finally:
        server.stop()
