"""The best accuracy any model can reach on the bundled demo, and how far the others are from it.

    python benchmarks/demo_ceiling.py

The demo is drawn from a known distribution (``jobsearch/data/demo.py``), so the Bayes-optimal
classifier can be written down: each posting's industry posterior from the generator's class
weights, its job title and its topical words, everything else (cities, seniority, verbs,
templates, boilerplate, length) being drawn alike for every industry. It reads the generator's
own draws (``generate_demo(latent=True)``), which a model reading the text sees as well but
mixed with the class-independent words. Scored against the labels as written (3% flipped at
random, which no model can predict), on the rows ``benchmarks/blackbox.py --set demo`` holds
out and on the whole set, beside the figures committed by ``blackbox.py`` for the tuned
LinearSVC and the served ``@champion``, and of two models that learn from the generator's draws
of the searched rows instead of their text (what 2,720 rows can teach), and of the tuned
LinearSVC trained on 3 and 10 times as many demo rows (the gap as the rows grow). Writes
``benchmarks/results/demo-ceiling.json``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
from blackbox import HOLDOUT, load_rows, scores, tuned_linear_svc
from machine import commit, description

from jobsearch.data import demo

RESULTS = Path(__file__).resolve().parent / "results"


def _siblings() -> dict[str, list[str]]:
    """Each industry's siblings: the other industries of its family."""
    families = [list(inds) for _, inds in demo.FAMILIES.values()]
    return {n: [s for s in names if s != n] for names in families for n in names}


def word_log_likelihoods(specificity: float = 0.2) -> dict[str, np.ndarray]:
    """log P(topical word | industry), one array over :func:`demo.industries` per word
    (``specificity`` as ``generate_demo``'s default)."""
    names, siblings = demo.industries(), _siblings()
    family_of, own, shared = {}, {}, {}
    for family, (vocabulary, inds) in demo.FAMILIES.items():
        shared[family] = vocabulary.split()
        for name, (_, words) in inds.items():
            family_of[name], own[name] = family, words.split()
    vocabulary = {w for words in [*own.values(), *shared.values(), demo.GENERIC] for w in words}
    family_share = demo.FAMILY_UNTIL - specificity - demo.SIBLING_SHARE
    table = {}
    for word in vocabulary:
        share = {n: words.count(word) / len(words) for n, words in own.items()}
        p = np.array([
            specificity * share[name]
            + demo.SIBLING_SHARE * np.mean([share[s] for s in siblings[name]])
            + family_share * shared[family_of[name]].count(word) / len(shared[family_of[name]])
            + (1 - demo.FAMILY_UNTIL) * demo.GENERIC.count(word) / len(demo.GENERIC)
            for name in names
        ])  # fmt: skip
        table[word] = np.log(np.maximum(p, 1e-300))
    return table


def title_log_likelihoods() -> dict[str, np.ndarray]:
    """log P(job title | industry): the industry's own titles, else a sibling's."""
    names, siblings = demo.industries(), _siblings()
    titles = {n: t.split("|") for _, inds in demo.FAMILIES.values() for n, (t, _) in inds.items()}
    table = {}
    for title in {t for ts in titles.values() for t in ts}:
        share = {n: ts.count(title) / len(ts) for n, ts in titles.items()}
        p = np.array([
            demo.OWN_TITLE * share[name]
            + (1 - demo.OWN_TITLE) * np.mean([share[s] for s in siblings[name]])
            for name in names
        ])  # fmt: skip
        table[title] = np.log(np.maximum(p, 1e-300))
    return table


def bayes_predictions(frame, seed: int = 0) -> list[str]:
    """The most probable industry of each row of ``generate_demo(latent=True)``."""
    names = demo.industries()
    prior = np.log(demo.industry_weights(np.random.default_rng(seed)))
    words, titles = word_log_likelihoods(), title_log_likelihoods()
    predicted = []
    for title, topical in zip(frame["job_title"], frame["topical"], strict=True):
        posterior = prior + titles[title] + sum((words[w] for w in topical), np.zeros(len(names)))
        predicted.append(names[int(np.argmax(posterior))])
    return predicted


def learned_from_draws(frame, train_index, test_index) -> dict[str, dict]:
    """Models that see only the generator's draws (job title and topical words, none of the
    class-independent words), learned from the searched rows: what the rows alone can teach.
    Each row is the best of its small grid on the held-out rows, so an optimistic bound."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.svm import LinearSVC

    titles = "title=" + frame["job_title"].str.replace(" ", "_")
    docs = titles + " " + frame["topical"].str.join(" ")
    y, y_test = frame["industry"][train_index], frame["industry"][test_index].tolist()
    best = {}
    for name, vectorizer, models in (
        ("naive Bayes", CountVectorizer(token_pattern=r"\S+"),
         [MultinomialNB(alpha=a) for a in (0.03, 0.1, 0.3, 1.0)]),
        ("TF-IDF + LinearSVC", TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True),
         [LinearSVC(C=c) for c in (0.1, 0.3, 1.0)]),
    ):  # fmt: skip
        x = vectorizer.fit_transform(docs[train_index])
        x_test = vectorizer.transform(docs[test_index])
        tried = [scores(y_test, m.fit(x, y).predict(x_test).tolist()) for m in models]
        best[name] = max(tried, key=lambda r: r["accuracy"])
    return best


def more_rows(held, sizes=(8000, 27200)) -> dict[int, dict]:
    """The user's tuned LinearSVC (C=0.3, the member's cross-validated choice on the demo)
    trained on the text of more demo rows from the same distribution (``generate_demo``'s seed
    0 with more rows: same class weights, other postings; any text equal to a held-out one is
    dropped), scored on the held-out rows: how much of the gap more rows close."""
    curve = {}
    for n in sizes:
        rows = demo.generate_demo(n_rows=n)
        rows = rows.assign(text=rows["title"] + "\n" + rows["description"])
        rows = rows[~rows["text"].isin(set(held["text"]))]
        model = tuned_linear_svc(0.3).fit(rows["text"].tolist(), rows["industry"].tolist())
        curve[len(rows)] = scores(held["industry"].tolist(), model.predict(held["text"].tolist()))
    return curve


def main() -> None:
    from sklearn.model_selection import train_test_split

    frame = demo.generate_demo(latent=True)
    frame["predicted"] = bayes_predictions(frame)
    rows = load_rows("demo")
    assert (rows["industry"] == frame["industry"]).all(), "the demo set and its draws disagree"
    searched, held = train_test_split(
        rows, test_size=HOLDOUT, stratify=rows["industry"], random_state=0
    )
    held_out = frame.loc[held.index]
    from_draws = learned_from_draws(frame, searched.index, held.index)
    report = {
        "date": date.today().isoformat(),
        "machine": description(),
        "commit": commit(),
        "held_out_rows": len(held_out),
        "bayes_held_out": scores(held_out["industry"].tolist(), held_out["predicted"].tolist()),
        "bayes_whole_set": scores(frame["industry"].tolist(), frame["predicted"].tolist()),
        "true_industry_held_out": scores(
            held_out["industry"].tolist(), held_out["true_industry"].tolist()
        ),
        "learned_from_the_draws_held_out": from_draws,
        "tuned_linear_svc_on_more_rows_held_out": more_rows(held),
    }
    print(f"{len(held_out)} held-out rows (accuracy / macro-F1):")
    print(f"| Bayes-optimal (the generator's distribution) | {_cell(report['bayes_held_out'])} |")
    print(f"| the true industry (only the flipped labels wrong) | "
          f"{_cell(report['true_industry_held_out'])} |")  # fmt: skip
    for name, row in from_draws.items():
        print(f"| {name} on the draws of the {len(searched):,} searched rows | {_cell(row)} |")
    for name, row in json.loads((RESULTS / "blackbox-demo-sklearn.json").read_text()).items():
        print(f"| {name} | {_cell(row)} |")
    served = sorted(RESULTS.glob("blackbox-demo-seed[0-9].json"))
    for path in served:
        row = json.loads(path.read_text())
        print(f"| served @champion, search seed {row['search_seed']} ({row['commit']}) "
              f"| {_cell(row['rows']['served @champion'])} |")  # fmt: skip
    for n, row in report["tuned_linear_svc_on_more_rows_held_out"].items():
        print(f"| tuned LinearSVC (C=0.3) trained on {n:,} other demo rows | {_cell(row)} |")
    print(f"whole set (3,200 rows), Bayes-optimal: {_cell(report['bayes_whole_set'])}")
    out = RESULTS / "demo-ceiling.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


def _cell(row: dict) -> str:
    return f"{row['accuracy']:.3f} / {row['macro_f1']:.3f}"


if __name__ == "__main__":
    main()
