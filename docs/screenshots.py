"""The first look, photographed: what a newcomer sees in the MLflow UI after a search.

    apt-get install chromium                 # Debian's browser (no download by playwright)
    .venv/bin/pip install -e ".[screenshots]"  # playwright's Python driver
    ./dev.sh demo                            # or any search; then, in the same folder:
    .venv/bin/python docs/screenshots.py     # docs/ui-runs.png, ui-search-run.png, ui-model.png

It starts an MLflow server on the store, opens the three links a search prints or leads to
(the runs table on its saved view, the search run, the registered model version) in headless
Chromium at 1600x1000, waits for their figures, saves a PNG of each and checks what the
pages say: the served model, its figures and the baselines shown, in Model training mode.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from jobsearch.tracking.mlflow import get_client, run_url, runs_url
from jobsearch.tracking.outcome import ML_MODE, read

HERE = Path(__file__).resolve().parent
GENAI_ONLY = "Evaluation runs"  # in the sidebar only in GenAI mode


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(store: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{store}",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return server
        except OSError:
            time.sleep(1)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("error: the MLflow server did not start within 2 minutes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", nargs="?", default="demo-random")
    parser.add_argument("--store", type=Path, default=Path("mlruns/mlflow.db"))
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    store = args.store.resolve()
    board = read(get_client(f"sqlite:///{store}"), args.experiment)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    name, version = (board.model or "models:/?/?").removeprefix("models:/").rsplit("/", 1)
    pages = {  # file: (link, text that shows its figures have loaded)
        "ui-runs.png": (runs_url(base, board.experiment_id), "val_accuracy"),
        "ui-search-run.png": (
            run_url(base, board.experiment_id, board.search_run_id), "served model"),
        "ui-model.png": (f"{base}/#/models/{name}/versions/{version}?{ML_MODE}", "served model"),
    }  # fmt: skip
    from playwright.sync_api import sync_playwright

    server = _serve(store, port)
    problems = []
    try:
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            for file, (link, loaded) in pages.items():
                page.goto(link)
                page.get_by_text(loaded).first.wait_for(timeout=60_000)
                page.wait_for_timeout(2_000)  # the last requests and fonts
                page.screenshot(path=args.out / file)
                body = page.inner_text("body")
                if GENAI_ONLY in body:
                    problems.append(f"{file}: the page opened in GenAI mode")
                if file != "ui-runs.png" and not all(b.name in body for b in board.baselines):
                    problems.append(f"{file}: the baselines are not on the page")
                print(f"{args.out / file}  <- {link}")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for problem in problems:
        print(f"check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
