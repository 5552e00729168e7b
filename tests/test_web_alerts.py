"""Alerts in the web app: a supervisor acknowledges with a follow-up; staff see failed deliveries."""

from datetime import datetime, timezone

from monitor.alerting.dispatcher import Dispatcher
from monitor.config import AlertsConfig
from tests.webutil import csrf_of, demo_template, login, web_client, web_dir  # noqa: F401


async def plan_alert_for_subordinate(client, *, confirm=True):
    svc = client.svc
    sup = client.facts["supervisor_nip"]

    def pick(s):
        row = s.con.execute(  # a hit of someone directly below the supervisor
            "SELECT hit_id, nip FROM hits WHERE nip IN (SELECT nip FROM roster WHERE atasan_nip = ?) "
            "AND NOT ambiguous ORDER BY hit_id LIMIT 1", [sup]).fetchone()
        if confirm:
            s.review_hit(row[0], status="dikonfirmasi", reason="cek", actor="pengawas1", nip=row[1])
        return row[0]

    hit_id = await svc.db(pick)
    cfg = AlertsConfig(enabled=True, quiet_hours=None,
                       trigger="confirmed" if confirm else "confirmed_or_auto", auto_min_score=0.0)
    d = Dispatcher(svc.db, cfg, tz=svc.config.office.tz, office_name="x", channels={})
    await d.plan()
    alerts = await svc.db(lambda s: s.alerts_for(hit_id=hit_id))
    return hit_id, alerts


async def test_supervisor_acknowledges_with_follow_up(web_client):
    hit_id, alerts = await plan_alert_for_subordinate(web_client)
    direct = [a for a in alerts if a["level"] == 1][0]
    await login(web_client, "atasan1")
    page = await (await web_client.get("/alerts")).text()
    assert direct["recipient_nip"] == web_client.facts["supervisor_nip"]
    assert direct["alert_id"] in page
    token = await csrf_of(web_client, f"/alerts/{direct['alert_id']}")
    r = await web_client.post(f"/alerts/{direct['alert_id']}/ack", data={"csrf": token, "follow_up": "lainnya"})
    assert r.status == 400  # "other" needs a note
    r = await web_client.post(f"/alerts/{direct['alert_id']}/ack",
                              data={"csrf": token, "follow_up": "pembinaan", "note": "sudah dipanggil"})
    assert r.status == 200 and "pembinaan" in await r.text()
    stored = await web_client.svc.db(lambda s: s.get_alert(direct["alert_id"]))
    assert stored["acked_by"] == "atasan1" and stored["follow_up"] == "pembinaan"
    # the hit itself is now open to this supervisor
    assert (await web_client.get(f"/hits/{hit_id}")).status == 200


async def test_ack_needs_csrf_and_the_right_person(web_client):
    _, alerts = await plan_alert_for_subordinate(web_client)
    a = alerts[0]
    await login(web_client, "pengawas1")
    assert (await web_client.post(f"/alerts/{a['alert_id']}/ack", data={"follow_up": "pembinaan"})).status == 403
    token = await csrf_of(web_client, "/alerts")
    r = await web_client.post(f"/alerts/{a['alert_id']}/ack", data={"csrf": token, "follow_up": "pembinaan"})
    assert r.status == 403  # a watcher does not acknowledge on behalf of a supervisor


async def test_staff_see_failed_deliveries_with_the_error(web_client):
    _, alerts = await plan_alert_for_subordinate(web_client)
    a = alerts[0]
    now = datetime.now(timezone.utc)

    def fail(s):
        s.add_deliveries(a["alert_id"], "alert", a["recipient_nip"], ["surel"], now)
        s.update_delivery(f"{a['alert_id']}:surel", status="failed", attempts=8, next_attempt_at=now,
                          last_error="SMTP 550 mailbox unavailable", sent_at=None)

    await web_client.svc.db(fail)
    await login(web_client, "pengawas1")
    page = await (await web_client.get("/alerts")).text()
    assert "SMTP 550 mailbox unavailable" in page and a["alert_id"] in page


async def test_auto_released_hit_becomes_visible_to_the_supervisor(web_client):
    hit_id, alerts = await plan_alert_for_subordinate(web_client, confirm=False)
    assert alerts  # the automatic policy alerted without a review
    await login(web_client, "atasan1")
    assert (await web_client.get(f"/hits/{hit_id}")).status == 200
