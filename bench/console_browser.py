"""The console in headless Chromium on an analyzed run: time to the Samples table, to the Map
view, and from the end of a lasso to its counts. Saves a screenshot of each view.

    PYTHONPATH=src python bench/console_browser.py RUN_ROOT --out shots/

RUN_ROOT is a folder of runs (``<root>/<project>/<run>``); the first run of the catalog opens.
Needs ``playwright`` and Chromium (``/usr/bin/chromium``, or set ``DATAERRORS_CHROMIUM``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from dataerrors.console.server import start_in_thread

CHROMIUM = os.environ.get("DATAERRORS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="Folder of runs to serve.")
    parser.add_argument("--out", type=Path, default=Path("console-shots"), help="Folder for the screenshots.")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)

    server = start_in_thread(arguments.root, port=0, user="bench")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            started = time.perf_counter()
            page.goto(server.url)
            page.wait_for_selector("#samples-table tbody tr", timeout=300_000)
            print(f"Samples table shown after {time.perf_counter() - started:.1f} s")
            page.screenshot(path=str(arguments.out / "samples.png"))

            started = time.perf_counter()
            page.keyboard.press("2")
            page.locator("#map-lasso").wait_for(timeout=600_000)
            print(f"Map view shown after {time.perf_counter() - started:.1f} s: "
                  f"{page.locator('#map-count').inner_text()}")

            box = page.locator("#map-lasso").bounding_box()
            left, top = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
            right, bottom = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6
            page.mouse.move(left, top)
            page.mouse.down()
            for x, y in [(right, top), (right, bottom), (left, bottom)]:
                page.mouse.move(x, y, steps=6)
            page.mouse.move(left, top + 3, steps=6)
            started = time.perf_counter()
            page.mouse.up()
            page.wait_for_selector("#selection-count", timeout=120_000)
            print(f"Lasso counts shown {time.perf_counter() - started:.1f} s after the mouse was "
                  f"released: {page.locator('#selection-count').inner_text()} points selected")
            page.screenshot(path=str(arguments.out / "map.png"))
            browser.close()
            if errors:
                print("Page errors:", *errors, sep="\n  ")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
