"""An admin's chain reports come from the hub (issue 18, SPEC §5, §7): on a connected till the
Reports window asks ``GET /api/v3/reports/...`` on the network worker — numbers only the hub
holds are shown, labelled "Chain, from the hub at HH:MM", with the same chart, table and CSV as
the engine's report on the hub's database. Not connected, or refused by the hub, it is this
till's copy, labelled so in words. A manager's view stays the till's own. Real hub on loopback."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from clienteling.engine.services import Clienteling
from clienteling.engine.services.reports.tables import table, to_csv
from clienteling.sync.credentials import TokenStore
from clienteling.sync.state import set_hub_url
from clienteling.ui.common import formatting as fmt
from clienteling.ui.main_window import MainWindow
from clienteling.ui.reports.chart_data import chart_data
from tests.sync.conftest import closed_port
from tests.ui.hub_support import HubWorld, MemoryKeyring
from tests.ui.support import TIMEOUT, customer_owed_elsewhere, open_reports
from tests.ui.test_sync_cycles import SYNC_TIMEOUT, _connected

Open = Callable[..., MainWindow]
ADA = ("ada", "905238")
HUB_TIMEOUT = TIMEOUT * 4


def _only_at_the_hub(hub: Clienteling) -> None:
    """A store the till has never heard of, whose customer holds 77.00 reward dollars issued
    by a reaction no till knows (``reaction:hub-only``), expiring in 10 days."""
    customer_owed_elsewhere(hub, source="reaction:hub-only")


def test_an_admin_on_a_connected_till_sees_the_hubs_chain(
        open_window: Open, qtbot: Any, demo_hub: HubWorld, tmp_path: Path) -> None:
    w = open_window("ada")
    _connected(qtbot, w, demo_hub)
    w.sync.stop()  # from here on the till hears nothing of what only the hub holds
    hub = demo_hub.cl
    _only_at_the_hub(hub)
    window = open_reports(qtbot, w, timeout=HUB_TIMEOUT)

    ada = hub.staff.sign_in(*ADA)
    liability = window.pages["liability"]
    assert liability.result is not None and liability.result.from_hub
    report = liability.result.report
    assert report == hub.reports.liability(ada)  # the engine's report on the hub's database
    tz = report.scope.timezone
    assert liability.as_of.text() == f"Chain, from the hub at {fmt.local(report.as_of, tz):%H:%M}"
    here = w.worker.run_sync(lambda cl: cl.reports.liability(cl.staff.sign_in(*ADA)), w.engine)
    assert report.total - here.total == Decimal("77.00")  # only the hub holds them
    # The same table, chart and CSV as a till's report.
    assert liability.result.table == table(report)
    chart = chart_data(report)
    assert sum((v for _, values in chart.series for v in values), Decimal("0.00")) == report.total
    out = tmp_path / "liability.csv"
    liability.export_csv(out)
    assert out.read_bytes().decode("utf-8") == to_csv(report)

    expiring = window.pages["expiring"].result
    assert expiring is not None and expiring.from_hub
    assert expiring.report == hub.reports.expiring(ada, days=30)
    assert ("Far", "Away") in [(c.first_name, c.last_name)
                               for c in expiring.report.customers]  # type: ignore[union-attr]

    reactions = window.pages["reactions"].result
    assert reactions is not None and reactions.from_hub
    assert reactions.report == hub.reports.reactions(ada)
    assert ("reaction", "hub-only", "hub-only", "1", "0", "0", "77.00") in reactions.table[1]

    page = window.pages["redemptions"]
    assert page.result is not None and page.result.from_hub
    got = page.result.report
    assert got == hub.reports.redemptions(ada, start=got.start, end=got.end,  # type: ignore[union-attr]
                                          by="day")

    # A range the hub refuses is said in words (its 422, naming the parameter).
    page.end.setDate(page.start.date().addDays(-1))
    with qtbot.waitSignal(page.failed, timeout=HUB_TIMEOUT) as blocker:
        page.refresh()
    assert "To" in blocker.args[0] and page.message.text() == blocker.args[0]


def test_an_admin_on_a_till_without_a_hub_sees_the_tills_copy_labelled(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    window = open_reports(qtbot, w, timeout=HUB_TIMEOUT)
    page = window.pages["liability"]
    assert page.result is not None and not page.result.from_hub
    report = page.result.report
    assert report.scope.store_id is None
    assert report == w.worker.run_sync(
        lambda cl: cl.reports.liability(cl.staff.sign_in(*ADA)), w.engine)
    at = fmt.local(report.as_of, report.scope.timezone)
    assert page.as_of.text() == (f"Chain, from this till's copy computed at {at:%H:%M} — "
                                 "this till is not connected to a hub")


def test_a_hub_the_last_sync_could_not_reach_is_not_waited_on(
        open_window: Open, qtbot: Any, memory_keyring: MemoryKeyring) -> None:
    """The till's hub is down (nothing listens at its address): the chain is the till's copy
    at once, labelled so, rather than another wait on a hub that did not answer."""
    w = open_window("ada")
    url = closed_port()

    def point_at_nothing(cl: Clienteling) -> None:
        set_hub_url(cl, cl.staff.sign_in(*ADA), url)
        TokenStore().save(url, "clt_abc_def")

    w.worker.run_sync(point_at_nothing, w.engine)
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None and not o.report.online):
        w.sync.sync_now()
    w.sync.stop()
    window = open_reports(qtbot, w, timeout=HUB_TIMEOUT)
    page = window.pages["liability"]
    assert page.result is not None and not page.result.from_hub
    assert page.as_of.text().startswith("Chain, from this till's copy ")
    assert page.as_of.text().endswith(" — the hub could not be reached at the last sync")


def test_a_chain_the_hub_refuses_is_the_tills_copy_and_says_why(
        open_window: Open, qtbot: Any, till_hub: HubWorld) -> None:
    """A store's till is not an admin device: the hub refuses the chain (403), so the till
    shows its own copy and says the hub could not be asked, and why."""
    w = open_window("ada")
    _connected(qtbot, w, till_hub)
    window = open_reports(qtbot, w, timeout=HUB_TIMEOUT)
    for kind, page in window.pages.items():
        assert page.result is not None and not page.result.from_hub, kind
        text = page.as_of.text()
        assert text.startswith("Chain, from this till's copy as of the last sync "), text
        assert f"— the hub could not be asked: The hub refused the {kind} report (HTTP 403" \
            in text, text
        assert page.message.text() == ""


def test_a_managers_view_stays_the_tills_own_on_a_connected_till(
        open_window: Open, qtbot: Any, demo_hub: HubWorld) -> None:
    w = open_window("max")
    _connected(qtbot, w, demo_hub)
    w.sync.stop()
    _only_at_the_hub(demo_hub.cl)
    window = open_reports(qtbot, w, timeout=HUB_TIMEOUT)
    for page in window.pages.values():
        assert page.result is not None and not page.result.from_hub
        assert page.result.report.scope.store_id == demo_hub.store_id
        assert " · as of the last sync " in page.as_of.text()
    reactions = window.pages["reactions"].result
    assert reactions is not None
    assert "hub-only" not in [x.handle for x in reactions.report.reactions]  # type: ignore[union-attr]
