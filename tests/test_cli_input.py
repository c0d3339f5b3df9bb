"""The command line on unusual DATA files: every one ends with a clear
one-line message (or a fit), never a traceback.

Covers a stray non-numeric value in a numeric column (the value and its
data row are named), a file with only the target column, repeated column
names, and a sweep of odd CSV files, in memory and in chunks.
"""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

from softmax_regression._cli import main

CULTIVARS = np.array(["barolo", "grignolino", "barbera"])


@pytest.fixture(scope="module")
def wine_frame():
    X, y = load_wine(return_X_y=True, as_frame=True)
    return X.assign(cultivar=CULTIVARS[y.to_numpy()])


@pytest.fixture(scope="module")
def folder(tmp_path_factory, wine_frame):
    folder = tmp_path_factory.mktemp("input")
    wine_frame.to_csv(folder / "wine.csv", index=False)
    stray = wine_frame.astype({"hue": object})
    stray.loc[41, "hue"] = "abc"  # data row 42, line 43 of the file
    stray.to_csv(folder / "stray.csv", index=False)
    many = wine_frame.astype({"hue": object})
    many.loc[[5, 9, 12], "hue"] = ["high", "?", "1,05"]
    many.to_csv(folder / "many.csv", index=False)
    wine_frame[["cultivar"]].to_csv(folder / "only_target.csv", index=False)
    frame = wine_frame.iloc[:20]
    text = frame.to_csv(index=False).splitlines()
    # the label column twice: pandas would read the second as 'cultivar.1'
    twice = [f"{line},{line.rsplit(',', 1)[1]}" for line in text]
    (folder / "target_twice.csv").write_text("\n".join(twice) + "\n")
    # a feature twice, and a genuine 'hue.1' column that is not a repeat
    (folder / "feature_twice.csv").write_text(
        "hue,alcohol,hue,cultivar\n1,2,3,a\n4,5,6,b\n"
    )
    (folder / "dotted.csv").write_text(
        "hue,hue.1,cultivar\n"
        + "".join(f"{i},{i % 3},{'ab'[i % 2]}\n" for i in range(8))
    )
    (folder / "latin1.csv").write_bytes("x,cultivar\n1,café\n2,thé\n".encode("latin-1"))
    (folder / "ragged.csv").write_text("x,y,cultivar\n1,2,a\n1,2,b,4,5\n")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "blank.csv").write_text("\n\n\n")
    (folder / "header_only_target.csv").write_text("cultivar\n")
    (folder / "no_rows_one_feature.csv").write_text("x,cultivar\n")
    (folder / "semicolons.csv").write_text("x;cultivar\n1;a\n2;b\n")
    (folder / "empty_names.csv").write_text(",,cultivar\n1,2,a\n3,4,b\n5,6,a\n")
    (folder / "bools.csv").write_text(
        "x,flag,cultivar\n"
        + "".join(f"{i},{i % 2 == 0},{'ab'[i % 2]}\n" for i in range(8))
    )
    (folder / "huge_int.csv").write_text("x,cultivar\n1,a\n2,b\n" + f"{10**30},a\n")
    (folder / "all_empty.csv").write_text("x,y,cultivar\n1,,a\n2,,b\n")
    (folder / "quoted_newline.csv").write_text('x,cultivar\n1,"a\nb"\n2,c\n')
    return folder


def _error(capsys, args) -> str:
    assert main([str(arg) for arg in args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and len(lines) == 1, captured.err
    assert lines[0].startswith("softmax-regression: error: ")
    return lines[0]


# -- item 8: a stray value in a numeric column -------------------------------

CHUNKED = [[], ["--chunksize", "50", "--solver", "sgd", "--max-iter", "2"]]


@pytest.mark.parametrize("chunked", CHUNKED, ids=["memory", "sgd-chunks"])
def test_stray_value_is_named_with_its_data_row(folder, tmp_path, capsys, chunked):
    line = _error(
        capsys,
        ["fit", folder / "stray.csv", "--target", "cultivar",
         "-o", tmp_path / "m.srm", *chunked],
    )  # fmt: skip
    assert re.search(
        r"feature column 'hue' of .*stray.csv is not numeric: 'abc' in data row 42;",
        line,
    ), line
    assert "1.04" not in line  # never a valid value as the example
    assert not (tmp_path / "m.srm").exists()


def test_stray_value_in_chunks_on_dask(folder, tmp_path, capsys):
    pytest.importorskip("dask.dataframe")
    line = _error(
        capsys,
        ["fit", folder / "stray.csv", "--target", "cultivar",
         "-o", tmp_path / "m.srm", "--chunksize", "50", "--solver", "lbfgs"],
    )  # fmt: skip
    assert "is not numeric: 'abc' in data row 42;" in line


def test_stray_value_at_prediction(folder, tmp_path, capsys):
    model = tmp_path / "wine.srm"
    assert main(["fit", str(folder / "wine.csv"), "--target", "cultivar",
                 "-o", str(model)]) == 0  # fmt: skip
    capsys.readouterr()
    line = _error(
        capsys, ["predict", model, folder / "stray.csv", "-o", tmp_path / "p.csv"]
    )
    assert "'hue' of" in line and "'abc' in data row 42" in line


def test_several_stray_values_are_counted(folder, tmp_path, capsys):
    line = _error(
        capsys,
        ["fit", folder / "many.csv", "--target", "cultivar", "-o", tmp_path / "m.srm"],
    )
    assert "not numeric: 'high' in data row 6, and 2 more non-numeric values" in line


# -- item 11: only the target, repeated names, odd files ---------------------


@pytest.mark.parametrize("chunked", [[], *CHUNKED[1:]], ids=["memory", "sgd-chunks"])
def test_file_with_only_the_target_column(folder, tmp_path, capsys, chunked):
    line = _error(
        capsys,
        ["fit", folder / "only_target.csv", "--target", "cultivar",
         "-o", tmp_path / "m.srm", *chunked],
    )  # fmt: skip
    assert re.search(
        r"only_target.csv has no feature columns besides the target 'cultivar'$", line
    ), line
    assert "array or dtype" not in line


@pytest.mark.parametrize("chunked", [[], *CHUNKED[1:]], ids=["memory", "sgd-chunks"])
def test_target_column_twice_is_named_as_duplicated(folder, tmp_path, capsys, chunked):
    line = _error(
        capsys,
        ["fit", folder / "target_twice.csv", "--target", "cultivar",
         "-o", tmp_path / "m.srm", *chunked],
    )  # fmt: skip
    assert re.search(
        r"column name 'cultivar' is duplicated in the header of .*target_twice.csv "
        r"\(columns 14, 15\)",
        line,
    ), line
    assert "cultivar.1" not in line


def test_feature_column_twice_and_a_genuine_dotted_name(folder, tmp_path, capsys):
    line = _error(
        capsys,
        [
            "fit",
            folder / "feature_twice.csv",
            "--target",
            "cultivar",
            "-o",
            tmp_path / "m.srm",
        ],
    )
    assert "column name 'hue' is duplicated" in line and "(columns 1, 3)" in line
    # 'hue' and 'hue.1' both in the header are two columns, not a repeat
    assert main(["fit", str(folder / "dotted.csv"), "--target", "cultivar",
                 "-o", str(tmp_path / "d.srm")]) == 0  # fmt: skip
    assert "2 features" in capsys.readouterr().out


def test_file_that_is_not_utf8(folder, tmp_path, capsys):
    line = _error(
        capsys,
        [
            "fit",
            folder / "latin1.csv",
            "--target",
            "cultivar",
            "-o",
            tmp_path / "m.srm",
        ],
    )
    assert re.search(r"latin1.csv is not UTF-8 text \(byte 0xe9 at offset \d+\)", line)


def test_ragged_file_names_the_file(folder, tmp_path, capsys):
    line = _error(
        capsys,
        [
            "fit",
            folder / "ragged.csv",
            "--target",
            "cultivar",
            "-o",
            tmp_path / "m.srm",
        ],
    )
    assert re.search(r"ragged.csv is not a well-formed CSV file: .*line 3", line), line


ODD_FILES = [
    "binary.csv",
    "blank.csv",
    "header_only_target.csv",
    "no_rows_one_feature.csv",
    "semicolons.csv",
    "empty_names.csv",
    "bools.csv",
    "huge_int.csv",
    "all_empty.csv",
    "quoted_newline.csv",
    "latin1.csv",
    "ragged.csv",
    "only_target.csv",
    "target_twice.csv",
    "feature_twice.csv",
]


@pytest.mark.parametrize("name", ODD_FILES)
@pytest.mark.parametrize("chunked", [[], *CHUNKED[1:]], ids=["memory", "sgd-chunks"])
def test_no_file_gives_a_traceback(folder, tmp_path, capsys, name, chunked):
    """Every odd file fits (status 0) or ends with one error line naming
    the file (status 2); none raises out of ``main``."""
    status = main(
        ["fit", str(folder / name), "--target", "cultivar",
         "-o", str(tmp_path / "m.srm"), *chunked]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status in (0, 2)
    if status == 2:
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("softmax-regression: error: ")
        assert name in lines[0] or "column" in lines[0], lines[0]


def test_odd_files_read_as_expected(folder, tmp_path):
    """The two odd files that are valid data fit as a user would expect."""
    for name, n_features in [("empty_names.csv", 2), ("bools.csv", 2)]:
        assert main(["fit", str(folder / name), "--target", "cultivar",
                     "-o", str(tmp_path / f"{name}.srm")]) == 0  # fmt: skip
        frame = pd.read_csv(folder / name)
        assert frame.shape[1] - 1 == n_features
