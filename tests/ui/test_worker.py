"""The workers' typed ``submit(...).then(...)`` (GUIDE principle 3): safe from any thread, results
always back on the GUI thread, and a second worker for network work."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mypy.api  # the test extra (pyproject.toml)
import pytest

from clienteling.ui.main_window import MainWindow
from clienteling.ui.worker import EngineWorker, NetworkWorker, Worker
from tests.ui.support import TIMEOUT

Open = Callable[..., MainWindow]

THREADS = 4
JOBS_PER_THREAD = 50


@pytest.fixture
def worker(qtbot: Any) -> Iterator[EngineWorker]:
    w = EngineWorker()
    yield w
    w.stop()


def test_jobs_submitted_from_other_threads_all_run_in_order_and_answer_on_the_gui_thread(
        worker: EngineWorker, qtbot: Any) -> None:
    gui = threading.get_ident()
    ran: list[tuple[int, int]] = []  # appended on the worker thread only
    answered: list[tuple[int, int, int]] = []  # (submitter, n, thread the callback ran on)
    busy: list[bool] = []
    worker.busy_changed.connect(busy.append)
    start = threading.Barrier(THREADS)

    def job(submitter: int, n: int) -> tuple[int, int]:
        ran.append((submitter, n))
        return submitter, n

    def submitter(k: int) -> None:
        start.wait()  # all threads submit at once, racing for the bookkeeping
        for n in range(JOBS_PER_THREAD):
            worker.submit(job, k, n).then(
                lambda result: answered.append((*result, threading.get_ident())))

    # Hold the worker until every job is queued, so the GUI thread sees it busy, then idle.
    # The first job (and so "busy") comes from a thread that is not the GUI thread too.
    gate = threading.Event()
    first = threading.Thread(target=lambda: worker.submit(gate.wait))
    first.start()
    first.join()
    threads = [threading.Thread(target=submitter, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qtbot.waitUntil(lambda: busy == [True], timeout=TIMEOUT)
    assert answered == [] and worker.is_busy
    gate.set()
    qtbot.waitUntil(lambda: len(answered) == THREADS * JOBS_PER_THREAD, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: busy == [True, False], timeout=TIMEOUT)
    assert not worker.is_busy
    assert {thread for *_, thread in answered} == {gui}
    assert sorted((k, n) for k, n, _ in answered) == [
        (k, n) for k in range(THREADS) for n in range(JOBS_PER_THREAD)]
    for k in range(THREADS):  # each submitter's jobs ran in the order it submitted them
        assert [n for s, n in ran if s == k] == list(range(JOBS_PER_THREAD))


def test_callbacks_attached_after_the_job_finished_are_still_delivered_on_the_gui_thread(
        worker: EngineWorker, qtbot: Any) -> None:
    gui = threading.get_ident()
    job = worker.submit(lambda: 42)
    qtbot.waitUntil(lambda: not worker.is_busy, timeout=TIMEOUT)  # back on the GUI thread
    seen: list[tuple[int, int]] = []
    late = threading.Thread(target=lambda: job.then(
        lambda value: seen.append((value, threading.get_ident()))))
    late.start()
    late.join()
    qtbot.waitUntil(lambda: seen == [(42, gui)], timeout=TIMEOUT)


def test_an_error_goes_to_on_error_then_the_fallback_then_failed(
        worker: EngineWorker, qtbot: Any) -> None:
    handled: list[str] = []
    fallback: list[str] = []
    with qtbot.waitSignal(worker.failed, timeout=TIMEOUT) as unhandled:
        worker.submit(lambda: 1 / 0).then(None, lambda exc: handled.append(type(exc).__name__))
        worker.submit(int, "x").or_else(lambda exc: fallback.append(type(exc).__name__)).then()
        worker.submit(dict.__getitem__, {}, "missing")
    assert handled == ["ZeroDivisionError"]
    assert fallback == ["ValueError"]
    assert isinstance(unhandled.args[0], KeyError)


def test_keyword_arguments_reach_the_function(worker: EngineWorker, qtbot: Any) -> None:
    seen: list[str] = []

    def greet(name: str, *, greeting: str = "Hello") -> str:
        return f"{greeting}, {name}"

    worker.submit(greet, "Jane", greeting="Hi").then(seen.append)
    qtbot.waitUntil(lambda: seen == ["Hi, Jane"], timeout=TIMEOUT)


def test_callbacks_given_the_old_way_are_refused_where_they_are_written(
        worker: EngineWorker) -> None:
    ran: list[int] = []
    with pytest.raises(TypeError, match=r"on_done, owner.*\.then\("):
        worker.submit(ran.append, 1, on_done=print, owner=None)  # type: ignore[call-arg]
    assert ran == [] and not worker.is_busy


def test_a_stopped_worker_runs_nothing_more(qtbot: Any) -> None:
    worker: Worker = NetworkWorker()
    worker.stop()
    ran: list[int] = []
    job = worker.submit(ran.append, 1)
    assert job.cancelled and not worker.is_busy
    with pytest.raises(RuntimeError, match="networkWorker worker has stopped"):
        worker.run_sync(ran.append, 2)
    assert ran == []


def test_the_network_worker_has_its_own_thread_and_stops_with_the_window(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    assert w.state.network is w.network
    engine_thread = w.worker.thread_ident
    network_thread = w.network.thread_ident
    assert network_thread is not None and network_thread != engine_thread
    assert network_thread != threading.get_ident()
    ran_on: list[int] = []
    w.network.submit(lambda: threading.get_ident()).then(ran_on.append)
    qtbot.waitUntil(lambda: ran_on == [network_thread], timeout=TIMEOUT)
    w.close()
    assert w.network.is_stopped and w.worker.is_stopped


MISUSE = """\
from clienteling.ui.worker import EngineWorker


def add(a: int, b: int) -> int:
    return a + b


def use(w: EngineWorker) -> None:
    w.submit(add, 1, 2).then(lambda total: print(total + 1))
    w.submit(add, 1, "2")
    w.submit(add, 1, 2).then(lambda total: print(total.upper()))
    w.submit(add, 1, b=2, c=3)
"""


def test_submit_is_typed_against_the_function_it_runs(tmp_path: Path) -> None:
    """The point of the ParamSpec: a type checker catches a wrong argument or a callback that
    expects something else than the function returns (line numbers are MISUSE's)."""
    snippet = tmp_path / "misuse.py"
    snippet.write_text(MISUSE)
    out, _err, _status = mypy.api.run([str(snippet), "--follow-imports=silent", "--no-error-summary",
                                       f"--cache-dir={tmp_path / 'cache'}"])
    errors = sorted(line.split(": error: ")[0].rsplit(":", 1)[1] + " " + line.rsplit("[", 1)[1]
                    for line in out.splitlines() if ": error: " in line)
    assert errors == ["10 arg-type]", "11 attr-defined]", "12 call-arg]"], out
