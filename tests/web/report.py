#!/usr/bin/env python3
"""The weekly bulletin's page /report in headless chromium (run by
tests/integration/test_web_report.sh).

Environment: WEB_URL (permit-web with db set), OFF_URL (one without), SHOTS (where the
screenshot goes). Fails on any Content-Security-Policy message in the browser's log.
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By

URL = os.environ["WEB_URL"]
OFF = os.environ["OFF_URL"]
SHOTS = os.environ["SHOTS"]
DRIVER = None


def fail(msg):
    print("report.py: FAIL: " + msg, file=sys.stderr)
    if DRIVER is not None:
        for entry in DRIVER.get_log("browser"):
            print("report.py: console: " + entry.get("message", ""), file=sys.stderr)
    sys.exit(1)


def wait(what, fn, secs=30.0):
    deadline = time.monotonic() + secs
    while True:
        try:
            v = fn()
        except Exception:  # the page is still being built
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


def no_csp_errors(d, where):
    bad = [e["message"] for e in d.get_log("browser")
           if "Content Security Policy" in e.get("message", "") or "Content-Security-Policy" in e.get("message", "")]
    if bad:
        fail("CSP violations on %s: %s" % (where, bad))


def bulletin_text(d):
    d.switch_to.frame(d.find_element(By.ID, "bulletin"))
    try:
        return d.find_element(By.TAG_NAME, "body").text
    finally:
        d.switch_to.default_content()


def main():
    global DRIVER
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1920,1080", "--lang=zh-CN"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
        if hasattr(webdriver, "ChromeService") else None
    d = webdriver.Chrome(options=opts, service=service) if service else webdriver.Chrome(options=opts)
    DRIVER = d
    try:
        d.set_window_size(1920, 1080)
        d.get(URL + "/")
        link = wait("the nav's link to the report",
                    lambda: [a for a in d.find_elements(By.CSS_SELECTOR, "#nav a") if a.get_attribute("href").endswith("/report")])
        link[0].click()
        wait("the report page", lambda: d.find_elements(By.ID, "bulletin"))
        d.get(URL + "/report?as_of=2026-03-20")
        text = wait("the bulletin in its frame", lambda: "周调度通报" in bulletin_text(d) and bulletin_text(d))
        for want in ("通辽市", "第11期", "2026-03-16"):
            if want not in text:
                fail("the framed bulletin lacks %r: %s" % (want, text[:300]))
        if d.find_element(By.ID, "as-of").get_attribute("value") != "2026-03-20":
            fail("the date picker does not show the as-of day")
        # The CSP allowed the bulletin's style in the frame: its masthead is centred.
        d.switch_to.frame(d.find_element(By.ID, "bulletin"))
        align = d.execute_script("return getComputedStyle(document.querySelector('header')).textAlign")
        d.switch_to.default_content()
        if align != "center":
            fail("the framed bulletin's style was not applied (header text-align %s)" % align)
        no_csp_errors(d, "/report")
        d.save_screenshot(os.path.join(SHOTS, "report-1920x1080.png"))

        # The period switch reloads the page with the month's bulletin.
        d.find_element(By.CSS_SELECTOR, "#period option[value=month]").click()
        wait("the monthly bulletin", lambda: "period=month" in d.current_url and "月通报" in bulletin_text(d))
        no_csp_errors(d, "/report?period=month")

        # English.
        d.get(URL + "/report?as_of=2026-03-20&lang=en")
        wait("the English bulletin", lambda: "weekly bulletin" in bulletin_text(d))
        no_csp_errors(d, "/report?lang=en")

        # The bulletin on its own, as the download opens it.
        d.get(URL + "/report.html?as_of=2026-03-20")
        wait("the bulletin alone", lambda: "周调度通报" in d.find_element(By.TAG_NAME, "body").text)
        # A style the CSP allowed: the masthead is centred, not the default left.
        align = d.execute_script("return getComputedStyle(document.querySelector('header')).textAlign")
        if align != "center":
            fail("the bulletin's style was not applied (header text-align %s)" % align)
        no_csp_errors(d, "/report.html")

        # Without db: the page explains.
        d.get(OFF + "/report")
        off = wait("the explanation", lambda: d.find_element(By.ID, "report-off").text)
        if "db = " not in off:
            fail("the page without db does not say how to enable it: " + off)
        no_csp_errors(d, "/report without db")
    finally:
        d.quit()
    print("report.py: ok")


if __name__ == "__main__":
    main()
