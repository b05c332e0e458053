"""One rule finds every data set, for the command line, the benchmarks and the tests alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO_ROOT, require

from digitnet import DigitnetError
from digitnet.common import paths
from digitnet.common.paths import DataSet, find_data, find_mnist_dir
from digitnet.data.omniglot import OMNIGLOT_DATA
from digitnet.data.pendigits import PENDIGITS_DATA
from digitnet.data.sources import SOURCES, Lookup, load_fold

DATA = DataSet("things", "things", "things.npz", "DIGITNET_THINGS")
MNIST_GZ = "train-images-idx3-ubyte.gz"


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A per-user cache, a checkout's shared folder and a folder beside MNIST, all empty."""
    places = {name: tmp_path / name for name in ("cache", "shared", "beside")}
    for place in places.values():
        place.mkdir()
    monkeypatch.setattr(paths, "user_cache_dir", lambda: places["cache"])
    monkeypatch.setattr(paths, "checkout_data_dir", lambda: places["shared"])
    for variable in (DATA.env_var, paths.DATA_ENV_VAR):
        monkeypatch.delenv(variable, raising=False)
    return places


def put(root: Path, folder: str, file: str) -> Path:
    path = root / folder / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def test_a_data_set_is_found_in_order_of_the_places_that_hold_it(roots, monkeypatch):
    assert find_data(DATA) == roots["cache"] / "things" / "things.npz"  # nowhere: where to put it
    shared = put(roots["shared"], "things", "things.npz")
    assert find_data(DATA) == shared
    cached = put(roots["cache"], "things", "things.npz")
    assert find_data(DATA) == cached
    beside = put(roots["beside"], "things", "things.npz")
    assert find_data(DATA, data_dir=roots["beside"] / "mnist") == beside
    monkeypatch.setenv(paths.DATA_ENV_VAR, str(roots["beside"] / "mnist"))
    assert find_data(DATA) == beside
    monkeypatch.setenv(DATA.env_var, "/mine.npz")  # its own variable wins, found or not
    assert find_data(DATA) == Path("/mine.npz")
    assert find_data(DATA, "given.npz") == Path("given.npz")  # and a path given wins over all


@pytest.mark.parametrize(("data", "folder", "file", "variable"), [
    (OMNIGLOT_DATA, "omniglot", "omniglot.npz", "DIGITNET_OMNIGLOT"),
    (PENDIGITS_DATA, "pendigits", "pendigits-orig.tra", "DIGITNET_PENDIGITS"),
])
def test_default_path_is_the_variable_else_beside_the_mnist_folder(
    data: DataSet, folder: str, file: str, variable: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    beside = put(tmp_path / "data", folder, file)
    monkeypatch.setenv("DIGITNET_DATA", str(tmp_path / "data" / "mnist"))
    monkeypatch.delenv(variable, raising=False)
    assert find_data(data) == beside
    monkeypatch.setenv(variable, str(tmp_path / "mine"))
    assert find_data(data) == tmp_path / "mine"
    assert find_data(data, tmp_path / "given") == tmp_path / "given"


def test_mnist_is_read_where_it_lies_and_downloaded_to_the_user_cache(roots, monkeypatch):
    assert find_mnist_dir() == roots["cache"] / "mnist"
    put(roots["shared"], "mnist", MNIST_GZ.removesuffix(".gz"))  # gunzipped counts too
    assert find_mnist_dir() == roots["shared"] / "mnist"
    put(roots["cache"], "mnist", MNIST_GZ)
    assert find_mnist_dir() == roots["cache"] / "mnist"
    monkeypatch.setenv(paths.DATA_ENV_VAR, "/elsewhere")  # CI's DIGITNET_DATA=/path/to/mnist
    assert find_mnist_dir() == Path("/elsewhere")
    assert find_mnist_dir("/flag") == Path("/flag")


@pytest.mark.parametrize("name", [name for name, s in SOURCES.items() if s.data])
def test_a_missing_source_is_one_line_saying_where_to_put_it(name, tmp_path, monkeypatch):
    data = SOURCES[name].data
    assert data is not None
    monkeypatch.setenv(data.env_var, str(tmp_path / data.file))
    with pytest.raises(DigitnetError) as info:
        load_fold(name, "tune", Lookup())
    message = str(info.value)
    assert "\n" not in message and f"{tmp_path / data.file}: {data.name} not found" in message
    assert f"put {data.file} there, or set ${data.env_var}" in message


def test_a_checkout_finds_the_shared_data_without_any_variable(monkeypatch):
    """So the README's test command runs the same tests with or without $DIGITNET_DATA."""
    require((REPO_ROOT.parent / "shared" / "data").is_dir(), "no ../shared/data beside the repo")
    monkeypatch.delenv(paths.DATA_ENV_VAR, raising=False)
    for source in SOURCES.values():
        if source.data:
            monkeypatch.delenv(source.data.env_var, raising=False)
            assert find_data(source.data).is_file(), source.name
    assert (find_mnist_dir() / MNIST_GZ).is_file()
