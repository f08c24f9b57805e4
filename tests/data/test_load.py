from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jobsearch.data.demo import generate_demo, industries
from jobsearch.data.load import DataError, clean_postings, clean_text, load_split, read_table


def _frame(n_per_class: int = 12, classes: int = 3) -> pd.DataFrame:
    rows = [
        {
            "title": f"title {c} {i}",
            "body": f"<p>text&amp;more {c} number {i}</p>",
            "industry": f"class{c}",
        }
        for c in range(classes)
        for i in range(n_per_class)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".csv.gz", "bom.csv"])
def test_every_format_loads_and_joins_text_columns(tmp_path, suffix):
    frame = _frame()
    path = tmp_path / f"postings{suffix}"
    if suffix == "bom.csv":  # Excel's "CSV UTF-8" starts with a byte-order mark
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, index=False)
    split = load_split(path, ["title", "body"], "industry", min_class_size=5)
    assert split.classes == ["class0", "class1", "class2"]
    assert sum(split.summary["splits"].values()) == 36
    text = split.texts["train"][0]
    assert text.startswith("title ") and "&" in text and "<p>" not in text


def test_clean_text_strips_html_entities_and_space():
    assert clean_text("<b>Nurse</b>&nbsp;needed &amp;\n\n paid") == "Nurse needed & paid"


def test_cleaning_drops_empty_duplicates_and_small_classes():
    frame = pd.DataFrame(
        {
            "text": ["a b", "a b", "", "c d", "e f", "g h", "solo", "i j", "k l"],
            "label": ["x", "x", "x", "x", "", "x", "rare", "y", "y"],
        }
    )
    cleaned, summary = clean_postings(frame, min_class_size=2)
    assert cleaned["text"].tolist() == ["a b", "c d", "g h", "i j", "k l"]
    assert summary["removed"] == {"empty_text_or_label": 2, "duplicate_text": 1, "small_class": 1}
    assert summary["dropped_classes"] == ["rare"]
    merged, summary = clean_postings(
        pd.DataFrame({"text": list("abcdefg"), "label": list("xxxywzz")}), 2, "merge"
    )
    assert sorted(merged["label"].unique()) == ["Other", "x", "z"]
    assert summary["merged_into_other"] == ["w", "y"]


def test_the_default_keeps_every_class_the_split_can_stratify(tmp_path):
    from jobsearch.cli.search import search_parser
    from jobsearch.data.load import MIN_CLASS_SIZE

    frame = pd.concat([_frame(30, 2), _frame(7, 3).iloc[14:], _frame(6, 4).iloc[18:]])
    frame.to_csv(tmp_path / "p.csv", index=False)
    split = load_split(tmp_path / "p.csv", ["title", "body"], "industry")
    assert split.classes == ["class0", "class1", "class2"]  # 7 rows kept, 6 dropped
    for part in ("val", "test"):
        assert (split.labels[part] == 2).sum() == 1
    assert search_parser("random").parse_args([]).min_class_size == MIN_CLASS_SIZE


def test_split_is_stratified_and_seeded():
    split = load_split(None)
    again = load_split(None)
    assert split.texts["test"] == again.texts["test"]
    fractions = {k: len(v) / 3200 for k, v in split.texts.items()}
    assert fractions["train"] == pytest.approx(0.70, abs=0.01)
    for part in ("train", "val", "test"):
        assert len(np.unique(split.labels[part])) == len(split.classes)
    assert split.summary["words_percentiles"]["50"] > 40
    json.dumps(split.summary)


def _write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("missing.csv", None, {}, "missing.csv: no such file"),
        ("data.xlsx", b"x", {}, "unknown format '.xlsx'"),
        (
            "cols.csv",
            b"title,sector\na,b\n",
            {},
            "missing column 'text'; columns present: title, sector",
        ),
        (
            "case.csv",
            b"Title,Category\na,b\n",
            {"text_cols": ["title"], "label_col": "Category"},
            "missing column 'title' (did you mean 'Title'?); columns present: Title, Category",
        ),
        ("empty.csv", b"text,industry\n,\n ,x\n", {}, "holds no words"),
        ("header.csv", b"text,industry\n", {}, "no rows (only a header?)"),
        ("nolabel.csv", b"text,industry\nabc,\ndef,\n", {}, "label column 'industry' is empty"),
        ("numbers.csv", b"text,industry\n12,a\n345,b\n", {}, "holds no words"),
        (
            "one.csv",
            b"text,industry\n" + b"".join(b"t%d,x\n" % i for i in range(20)),
            {},
            "1 class(es) left after cleaning",
        ),
        (
            "small.csv",
            b"text,industry\n" + b"".join(b"t%d,x\n" % i for i in range(20)) + b"u1,y\nu2,y\n",
            {"min_class_size": 2},
            "class 'y' has 2 rows, too few to stratify",
        ),
        ("latin.csv", "text,industry\ncaf\u00e9,x\n".encode("latin-1"), {}, "not UTF-8"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, name, content, kwargs, message):
    path = tmp_path / name if content is None else _write(tmp_path, name, content)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(DataError) as info:
        load_split(path, **kwargs)
    assert message in str(info.value)
    assert str(path) in str(info.value) or name == "data.xlsx"
    assert "\n" not in str(info.value)
    assert sorted(tmp_path.iterdir()) == before


def test_read_table_rejects_unparseable_parquet(tmp_path):
    with pytest.raises(DataError, match="cannot be read as parquet"):
        read_table(_write(tmp_path, "bad.parquet", b"not parquet"))


def test_demo_is_deterministic_imbalanced_and_linkedin_named():
    a, b = generate_demo(n_rows=400, seed=3), generate_demo(n_rows=400, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not generate_demo(n_rows=400, seed=4).equals(a)
    full = generate_demo()
    counts = full["industry"].value_counts()
    assert len(industries()) >= 30 and counts.size >= 30
    assert counts.max() >= 10 * counts.min()
    assert {"Information Technology and Services", "Hospital & Health Care"} <= set(counts.index)
    words = full["description"].map(lambda t: len(clean_text(t).split()))
    assert words.min() >= 40 and words.max() <= 600


def test_demo_latent_draws_are_what_was_written():
    """benchmarks/demo_ceiling.py computes the demo's best possible accuracy from these."""
    plain = generate_demo(n_rows=300, seed=3)
    latent = generate_demo(n_rows=300, seed=3, latent=True)
    pd.testing.assert_frame_equal(latent[list(plain.columns)], plain)
    for row in latent.itertuples():
        assert row.job_title in row.title
        assert len(row.topical) >= 2  # the opening sentence has two, each duty two or three
        # written as drawn in the opening sentence, hyphens as spaces in the duties
        written = {w: row.description.count(w) + row.description.count(w.replace("-", " "))
                   * ("-" in w) for w in set(row.topical)}  # fmt: skip
        assert all(written.values()) and sum(written.values()) >= len(row.topical)
    flipped = (latent["industry"] != latent["true_industry"]).mean()
    assert 0 < flipped < 0.08


def test_demo_is_hard_but_learnable_for_a_linear_model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    split = load_split(None)
    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
    model = LinearSVC().fit(vec.fit_transform(split.texts["train"]), split.labels["train"])
    accuracy = (model.predict(vec.transform(split.texts["test"])) == split.labels["test"]).mean()
    assert 0.70 <= accuracy <= 0.90
