"""finn-plus bootstrap: a second run in the same process gets its own build folder."""

from hwcodesign.tools import finn


def test_bootstrap_follows_the_build_folder_of_each_run(tmp_path):
    from finn.util.basic import make_build_dir

    for name in ("run_a", "run_b"):
        build = tmp_path / name / "build"
        finn.bootstrap(build)
        made = make_build_dir("probe_", return_as_path=True)
        assert made.parent == build.resolve(), f"{name}: finn-plus wrote into {made.parent}"
