#!/usr/bin/env python3
"""Acknowledging through permit-web in headless chromium (run by tests/integration/test_web_ack.sh).

Environment: WEB_URL (permit-web), ZW_URL (the ack link the notifier's webhook carried),
ZW_SEQ (the alert it names), T (the test's folder), PERMITCTL (with PERMIT_QUERY set).

The link: a GET shows the alert and a confirm button and logs nothing; confirm says 已确认; the
link opened again says 已确认过. A department account (nrb, department:NRB) signs in through the
form, sees its name in the header, and is refused (无权操作) the ack button of EEB's red EIA on
the project page.
"""
import json
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By

URL = os.environ["WEB_URL"]
ZW_URL = os.environ["ZW_URL"]
ZW_SEQ = int(os.environ["ZW_SEQ"])
DRIVER = None
START = time.monotonic()


def fail(msg):
    print("ack.py: FAIL: " + msg, file=sys.stderr)
    if DRIVER is not None:
        try:
            print("ack.py: at " + DRIVER.current_url + ": " + DRIVER.find_element(By.TAG_NAME, "body").text[:500],
                  file=sys.stderr)
        except Exception as err:  # the browser itself may be what failed
            print(f"ack.py: (no page: {err})", file=sys.stderr)
    sys.exit(1)


def step(msg):
    print(f"ack.py: [{time.monotonic() - START:5.1f}s] {msg}", flush=True)


def acks():
    out = subprocess.run([os.environ["PERMITCTL"], "tail", "--from", "0", "--json", "--kind", "alert_ack"],
                         capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def wait_until(secs, what, pred):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if pred():
                return
        except Exception:  # the page may be between two renders
            pass
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def text(d, css):
    return d.find_element(By.CSS_SELECTOR, css).text


def main():
    global DRIVER
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=390,844", "--lang=zh-CN"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
        if hasattr(webdriver, "ChromeService") else None
    d = webdriver.Chrome(options=opts, service=service) if service else webdriver.Chrome(options=opts)
    DRIVER = d
    try:
        step("the link shows the alert and a confirm button; opening it acknowledges nothing")
        d.get(ZW_URL)
        if text(d, "#title") != "确认收到此预警？":
            fail("the link's page: " + text(d, "#title"))
        if "TL-2026-001" not in text(d, "#project") or text(d, "#recipient") != "张伟":
            fail("the alert's description: " + text(d, "dl.alert"))
        if "红" not in text(d, "#colour") or text(d, "#seq") != str(ZW_SEQ):
            fail("the alert's colour or seq: " + text(d, "dl.alert"))
        if acks():
            fail("opening the link logged an ack: %s" % acks())

        step("confirm: 已确认, one alert_ack")
        d.find_element(By.ID, "confirm").click()
        wait_until(5, "已确认", lambda: text(d, "#title") == "已确认")
        logged = acks()
        if len(logged) != 1 or logged[0]["cause"] != ZW_SEQ or logged[0]["via"] != "web":
            fail("alert_ack entries: %s" % logged)
        if "日志 seq %d" % logged[0]["seq"] not in text(d, "#message"):
            fail("the page does not name the ack's log seq: " + text(d, "#message"))

        step("the link again: 已确认过, nothing more logged")

        def acked_already():
            d.get(ZW_URL)
            return text(d, "#title") == "已确认过"
        wait_until(5, "已确认过", acked_already)
        if len(acks()) != 1:
            fail("opening the link again logged: %s" % acks())

        step("sign in as nrb (department:NRB): the header names it")
        d.get(URL + "/login")
        d.find_element(By.ID, "name").send_keys("nrb")
        d.find_element(By.ID, "password").send_keys("password-nrb")
        d.find_element(By.ID, "signin").click()
        wait_until(5, "the board with nrb in the header", lambda: "nrb" in text(d, "#who"))
        cookie = d.get_cookie("permit_session")
        if cookie is None or not cookie.get("httpOnly") or cookie.get("sameSite") != "Strict":
            fail("the session cookie: %s" % cookie)

        step("nrb presses ack on EEB's red EIA of TL-2026-002: 无权操作")
        d.get(URL + "/p/TL-2026-002")
        wait_until(10, "an ack button", lambda: d.find_element(By.CSS_SELECTOR, "button.ack").is_displayed())
        d.find_element(By.CSS_SELECTOR, "button.ack").click()
        wait_until(5, "the refusal", lambda: text(d, "#title") == "无权操作")
        if "本部门（NRB）" not in text(d, "#message"):
            fail("the refusal's message: " + text(d, "#message"))
        if len(acks()) != 1:
            fail("a refused ack was logged: %s" % acks())
    finally:
        d.quit()
    step("done")


if __name__ == "__main__":
    main()
