"""archcalc.io and every writer: targets checked first, atomic replace, report all-or-nothing.

Also the CLI's handling of stdout failures (/dev/full, a closed pipe) and its
last line of defence (an unexpected exception -> one line, exit status 3).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archcalc import io
from archcalc.errors import ArchcalcError, OutputError

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def run_cli(*argv: str, cwd=None, stdout=subprocess.PIPE, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archcalc", *argv], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, env=env or ENV, timeout=120)


def temporaries(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.startswith(".archcalc-"))


# --- the helper -------------------------------------------------------------------------------

def test_write_text_replaces_and_keeps_the_mode(tmp_path):
    p = tmp_path / "out.md"
    p.write_text("old")
    p.chmod(0o640)
    io.write_text(p, "new")
    assert p.read_text() == "new"
    assert p.stat().st_mode & 0o777 == 0o640
    assert temporaries(tmp_path) == []


def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        io.write_bytes(tmp_path / "n.bin", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "n.bin").stat().st_mode & 0o777 == 0o644


def test_a_symlink_is_followed_and_kept(tmp_path):
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "link.md").symlink_to("real.md")
    io.write_text(tmp_path / "link.md", "new")
    assert (tmp_path / "link.md").is_symlink()
    assert (tmp_path / "real.md").read_text() == "new"
    (tmp_path / "dangling.md").symlink_to("created.md")  # a dangling link into an existing directory
    io.write_text(tmp_path / "dangling.md", "made")
    assert (tmp_path / "created.md").read_text() == "made"


@pytest.mark.parametrize("target, message", [
    ("missing/a.svg", "directory .*missing' does not exist"),
    ("adir", "it is a directory"),
    ("/dev/full", "not a regular file"),
    ("/dev/null", "not a regular file"),
    ("/proc/self/archcalc.svg", "/proc and /sys"),
    ("/sys/archcalc.md", "/proc and /sys"),
    ("dangling", "does not exist"),
    ("loop", "symbolic links"),
    ("", "empty file name"),
    ("a\0b", "NUL byte"),
])
def test_bad_targets_are_refused_before_any_work(tmp_path, target, message):
    (tmp_path / "adir").mkdir()
    (tmp_path / "dangling").symlink_to("nowhere/x.svg")
    (tmp_path / "loop").symlink_to("loop")
    path = target if target.startswith("/") or not target else str(tmp_path / target)
    with pytest.raises(OutputError, match=message):
        io.check_writable(path)
    with pytest.raises(OutputError, match=message):
        io.write_text(path, "x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_places_are_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (tmp_path / "ro.md").write_text("old")
    (tmp_path / "ro.md").chmod(0o444)
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            io.check_writable(ro / "a.md")
        with pytest.raises(OutputError, match="read-only"):
            io.check_writable(tmp_path / "ro.md")
    finally:
        ro.chmod(0o755)


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "fig.svg"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with io.writing(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("the renderer crashed")
    assert p.read_text() == "old"
    assert temporaries(tmp_path) == []


SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from archcalc import io
    with io.writing(sys.argv[1]) as tmp:
        with open(tmp, "wb") as f:
            for _ in range(2000):
                f.write(b"n" * 65536)
                f.flush()
                time.sleep(0.005)
""")


def test_sigkill_mid_write_leaves_the_old_file_intact(tmp_path):
    target = tmp_path / "big.svg"
    target.write_text("old content\n")
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], env=ENV)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the writer is well into its temporary
            # the writer's temporary (.archcalc-tmp-big-*.svg), not check_writable's short-lived probe
            tmps = [p for p in tmp_path.iterdir() if p.name.startswith(".archcalc-tmp-big-")]
            if tmps and tmps[0].stat().st_size > 4 * 65536:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the writer never started writing")
        assert proc.poll() is None, "the writer finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == "old content\n"


# --- several files, all or nothing ------------------------------------------------------------

def test_staged_commits_everything_or_nothing(tmp_path):
    (tmp_path / "a.md").write_text("old a")
    (tmp_path / "mine.txt").write_text("not archcalc's")
    with pytest.raises(RuntimeError):
        with io.Staged(tmp_path) as s:
            s.write_text("a.md", "new a")
            s.write_text("b.md", "new b")
            raise RuntimeError("rendering the third file failed")
    assert (tmp_path / "a.md").read_text() == "old a"
    assert not (tmp_path / "b.md").exists()
    assert temporaries(tmp_path) == []
    with io.Staged(tmp_path) as s:
        s.write_text("a.md", "new a")
        s.write_text("b.md", "new b")
    assert [(tmp_path / n).read_text() for n in ("a.md", "b.md", "mine.txt")] == ["new a", "new b", "not archcalc's"]


def test_a_failed_rename_puts_back_the_files_already_replaced(tmp_path):
    (tmp_path / "a.md").write_text("old a")
    s = io.Staged(tmp_path)
    s.write_text("a.md", "new a")
    s.write_text("c.md", "new c")
    s.write_text("z.md", "new z")
    (tmp_path / "z.md").mkdir()  # appears between the check and the commit
    (tmp_path / "z.md" / "keep").write_text("someone's")
    with pytest.raises(OutputError, match="nothing was changed"):
        s.commit()
    assert (tmp_path / "a.md").read_text() == "old a"
    assert not (tmp_path / "c.md").exists()
    assert (tmp_path / "z.md" / "keep").read_text() == "someone's"
    assert temporaries(tmp_path) == []


def test_report_is_all_or_nothing_and_checks_targets_first(tmp_path, monkeypatch):
    from archcalc.study import reports

    out = tmp_path / "reports"
    out.mkdir()
    (out / "compare.md").write_text("old compare")
    (out / "notes.txt").write_text("mine")
    (out / "homework.tex").mkdir()  # a target that cannot be written: refused before any work
    called = []
    monkeypatch.setattr(reports, "_render_reports", lambda *a: called.append(1))
    with pytest.raises(OutputError, match="homework.tex.*is a directory"):
        reports.write_reports(out)
    assert called == []
    (out / "homework.tex").rmdir()

    def half(staged, specs):  # renders two files, then fails
        staged.write_text("architectures.md", "new")
        staged.write_text("compare.md", "new compare")
        raise ArchcalcError("a spec failed half-way")
    monkeypatch.setattr(reports, "_render_reports", half)
    with pytest.raises(ArchcalcError, match="half-way"):
        reports.write_reports(out)
    assert sorted(p.name for p in out.iterdir()) == ["compare.md", "notes.txt"]
    assert (out / "compare.md").read_text() == "old compare"


def test_report_into_a_new_directory_leaves_nothing_on_failure(tmp_path, monkeypatch):
    from archcalc.study import reports

    def fail(staged, specs):
        staged.write_text("compare.md", "x")
        raise ArchcalcError("boom")
    monkeypatch.setattr(reports, "_render_reports", fail)
    with pytest.raises(ArchcalcError):
        reports.write_reports(tmp_path / "new")
    assert not (tmp_path / "new").exists()
    with pytest.raises(OutputError, match="does not exist"):
        reports.write_reports(tmp_path / "a" / "b")
    assert not (tmp_path / "a").exists()


# --- the CLI ------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["breakdown", "mobilenet", "--plot", "{d}/missing/x.svg"],
    ["breakdown", "mobilenet", "--plot", "/proc/self/x.png"],
    ["breakdown", "mobilenet", "--plot", ""],
    ["sweep", "mobilenet", "--alpha", "1,0.5", "--plot", "{d}/adir"],
    ["plot", "accuracy", "--out", "/dev/full"],
    ["plot", "accuracy", "--out", "{d}/dangling.svg"],
    ["report", "--out", "{d}/file.txt"],
    ["report", "--out", "/proc/archcalc"],
])
def test_cli_refuses_bad_targets_with_one_line(tmp_path, argv):
    (tmp_path / "adir").mkdir()
    (tmp_path / "dangling.svg").symlink_to("nowhere/x.svg")
    (tmp_path / "file.txt").write_text("keep")
    r = run_cli(*[a.format(d=tmp_path) for a in argv])
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("archcalc: cannot write"), r.stderr
    assert r.stdout == ""  # refused before any work: no table printed
    assert (tmp_path / "file.txt").read_text() == "keep"


def test_overwriting_an_existing_figure_works(tmp_path):
    p = tmp_path / "b.svg"
    p.write_text("old")
    r = run_cli("breakdown", "mobilenet", "--by", "kind", "--plot", str(p))
    assert r.returncode == 0, r.stderr
    assert p.read_text().startswith("<?xml")
    assert temporaries(tmp_path) == []


def test_stdout_to_dev_full_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        r = run_cli("cost", "mobilenet", "--format", "json", stdout=full)
    assert r.returncode == 2
    assert r.stderr == "archcalc: cannot write to standard output: No space left on device\n"


def test_a_closed_pipe_is_quiet():
    p = subprocess.Popen([sys.executable, "-m", "archcalc", "cost", "mobilenet", "--format", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    p.stdout.read(10)
    p.stdout.close()
    p.wait(60)
    assert p.stderr.read() == b""
    assert p.returncode in (0, 1)  # click reports EPIPE inside echo as 1, after it we exit 0


def test_an_unexpected_exception_is_an_internal_error_exit_3(monkeypatch, capsys):
    import archcalc.cli.cost as cost_cmd
    from archcalc.cli import main

    def boom(*a, **k):
        raise KeyError("surprise")
    monkeypatch.setattr(cost_cmd, "analyze", boom, raising=False)
    monkeypatch.setattr("archcalc.api.analyze", boom)
    monkeypatch.delenv("ARCHCALC_DEBUG", raising=False)
    with pytest.raises(SystemExit) as e:
        main(["cost", "mobilenet"])
    err = capsys.readouterr().err
    assert e.value.code == 3
    assert err.count("\n") == 1
    assert err.startswith("archcalc: internal error: KeyError: 'surprise'") and "ARCHCALC_DEBUG=1" in err
    monkeypatch.setenv("ARCHCALC_DEBUG", "1")
    with pytest.raises(SystemExit) as e:
        main(["cost", "mobilenet"])
    err = capsys.readouterr().err
    assert e.value.code == 3
    assert "Traceback (most recent call last)" in err and "raise KeyError" in err


def test_errors_of_the_spec_still_exit_2_not_3(capsys):
    from archcalc.cli import main

    with pytest.raises(SystemExit) as e:
        main(["cost", "no-such-spec"])
    assert e.value.code == 2
    assert "internal error" not in capsys.readouterr().err
