"""finn-plus settings are scoped to a session: each run gets its own build folder, and the
previous settings (and FINN_BUILD_DIR) come back afterwards."""

import os

import pytest

pytest.importorskip("finn")

from hwcodesign.backends.finn.settings import finn_session  # noqa: E402


def test_each_session_uses_its_own_build_folder_and_restores_the_previous(tmp_path, monkeypatch):
    from finn.util.basic import make_build_dir

    monkeypatch.setenv("FINN_BUILD_DIR", str(tmp_path / "outer"))
    for name in ("run_a", "run_b"):
        build = tmp_path / name / "build"
        with finn_session(build):
            made = make_build_dir("probe_", return_as_path=True)
            assert made.parent == build.resolve(), f"{name}: finn-plus wrote into {made.parent}"
        assert os.environ["FINN_BUILD_DIR"] == str(tmp_path / "outer")


def test_two_threads_never_share_a_build_folder(tmp_path):
    """Two runs in one process (threads): each sees only its own build folder while inside."""
    import threading

    from finn.util.basic import make_build_dir

    seen: dict[str, set] = {"a": set(), "b": set()}

    def work(name: str) -> None:
        for _ in range(20):
            with finn_session(tmp_path / name):
                seen[name].add(make_build_dir("p_", return_as_path=True).parent)

    threads = [threading.Thread(target=work, args=(n,)) for n in seen]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": {(tmp_path / "a").resolve()}, "b": {(tmp_path / "b").resolve()}}
