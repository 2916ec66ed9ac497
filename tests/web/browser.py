#!/usr/bin/env python3
"""permit-web in headless chromium (run by tests/integration/test_web_browser.sh).

Environment: WEB_URL, WEB_PID (the running permit-web), WEB_CMD (how to start it again on the
same port), T (the test's folder), SHOTS (where screenshots go), PERMIT_AGENT, PERMITCTL (with
PERMIT_BROKER / PERMIT_QUERY set for the test's broker).
"""
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

URL = os.environ["WEB_URL"]
T = os.environ["T"]
SHOTS = os.environ["SHOTS"]
HOSTILE = '<script>alert(1)</script> "q" \u202eevil'


DRIVER = None


def fail(msg):
    print("browser.py: FAIL: " + msg, file=sys.stderr)
    if DRIVER is not None:
        try:
            for entry in DRIVER.get_log("browser"):
                print("browser.py: console: " + entry.get("message", ""), file=sys.stderr)
            print("browser.py: at " + DRIVER.current_url + ": " + DRIVER.find_element(By.TAG_NAME, "body").text[:500], file=sys.stderr)
        except Exception as err:  # the browser itself may be what failed
            print(f"browser.py: (no browser log: {err})", file=sys.stderr)
    sys.exit(1)


START = time.monotonic()


def step(msg):
    print(f"browser.py: [{time.monotonic() - START:5.1f}s] {msg}", flush=True)


def send(project, procedure, dept, event):
    out = subprocess.run([os.environ["PERMIT_AGENT"], "send", "--dept", dept, "--project", project,
                          "--procedure", procedure, "--event", event],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        fail(f"permit-agent send {project} {procedure} {event}: {out.returncode} {out.stderr}")
    return int(out.stdout.strip())


def log_seqs(after):
    out = subprocess.run([os.environ["PERMITCTL"], "tail", "--from", str(after), "--json"],
                         capture_output=True, text=True, check=True)
    return [json.loads(line)["seq"] for line in out.stdout.splitlines() if line.strip()]


def wait(what, fn, secs=10.0):
    deadline = time.monotonic() + secs
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            fail("timed out waiting for " + what)
        time.sleep(0.02)


def ticker_seqs(d):
    return [int(x) for x in d.execute_script(
        "return Array.from(document.querySelectorAll('#ticker li')).map(li => li.dataset.seq)")]


def text_of(d, id_):
    """An element's text by id, read in the page (the board re-renders its figures)."""
    return d.execute_script("const e = document.getElementById(arguments[0]);"
                            "return e ? e.textContent : '';", id_)


def no_alert(d, where):
    try:
        a = d.switch_to.alert
        fail(f"{where}: a script ran: alert '{a.text}'")
    except NoAlertPresentException:
        pass


def get(path):
    with urllib.request.urlopen(URL + path, timeout=5) as r:
        return r.read()


def screen(d, width, height, mobile):
    """The page's viewport exactly (a window's size includes the browser's own bars)."""
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    # The browser somewhere else than the jurisdiction: times must still be Beijing's.
    os.environ["TZ"] = "America/New_York"
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1920,1080", "--lang=zh-CN"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") \
        if hasattr(webdriver, "ChromeService") else None
    d = webdriver.Chrome(options=opts, service=service) if service else webdriver.Chrome(options=opts)
    global DRIVER
    DRIVER = d
    second = None
    try:
        screen(d, 1920, 1080, False)
        step("the wall board loads with the sample data")
        d.get(URL + "/")
        wait("the board's figures", lambda: d.find_elements(By.ID, "rate"))
        head0 = int(d.find_element(By.ID, "head").text)
        wait("the live stream to open", lambda: "on" in d.find_element(By.ID, "live").get_attribute("class"))
        no_alert(d, "board")
        step("the board's clock is the jurisdiction's, with its offset, though the browser is in New York")
        def beijing():
            return time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 8 * 3600))
        before = beijing()
        clock = text_of(d, "clock")
        want = {before, beijing()}  # the minute may turn while we read
        if not (clock.endswith("+08:00") and clock[:16] in want):
            fail(f"the board's clock says '{clock}', not {want}:..+08:00")

        step("an event through permit-agent shows on the board within a second")
        t0 = time.monotonic()
        seq = send("TL-2026-001", "LAND_PREREVIEW", "NRB", "accepted")
        sent = time.monotonic()
        wait("the entry in the ticker", lambda: seq in ticker_seqs(d), 5)
        took = time.monotonic() - sent
        if took > 1.0:
            fail(f"the ticker showed seq {seq} {took:.2f}s after the send returned (over 1s)")
        wait("the head figure to move", lambda: int(text_of(d, "head") or 0) >= seq, 1.5)
        step(f"seq {seq} on the page {took * 1000:.0f} ms after the ack ({(sent - t0) * 1000:.0f} ms to send)")

        step("kill permit-web and start it again under the open page: nothing missed, nothing twice")
        before = ticker_seqs(d)
        if len(before) != len(set(before)):
            fail("the ticker shows an entry twice before the restart")
        first_pid = int(os.environ["WEB_PID"])
        os.kill(first_pid, signal.SIGTERM)
        wait("the first permit-web to exit", lambda: not pid_alive(first_pid))
        wait("the page to see the stream end",
             lambda: "off" in d.find_element(By.ID, "live").get_attribute("class"), 5)
        send("TL-2026-002", "LAND_PREREVIEW", "NRB", "accepted")
        send("TL-2026-003", "LAND_PREREVIEW", "NRB", "accepted")
        log2 = open(os.path.join(T, "web.restart.err"), "w")
        second = subprocess.Popen(shlex.split(os.environ["WEB_CMD"]), stdout=log2, stderr=log2)
        last = send("TL-2026-004", "LAND_PREREVIEW", "NRB", "accepted")
        want = [s for s in log_seqs(head0)]
        wait("every entry since the page opened in the ticker", lambda: last in ticker_seqs(d), 10)
        time.sleep(0.3)  # a doubled entry would come right behind
        got = ticker_seqs(d)
        if len(got) != len(set(got)):
            dup = sorted({s for s in got if got.count(s) > 1})
            fail(f"entries shown twice after the restart: {dup}")
        missing = sorted(set(want) - set(got))
        if missing:
            fail(f"entries missed across the restart: {missing}")
        step(f"{len(want)} entries since seq {head0}, each once")

        step("the broker's clock moves 20 days on: red counts and the longest overdue on the board")
        later = time.strftime("%Y-%m-%dT%H:%M:%S+0800", time.localtime(time.time() + 20 * 86400))
        subprocess.run([os.environ["PERMITCTL"], "clock", "set", later[:-2] + ":00"], check=True,
                       capture_output=True)
        wait("red procedures counted",
             lambda: int(text_of(d, "count-procedures-red") or 0) >= 4, 5)
        wait("the longest overdue listed", lambda: d.execute_script(
            "return !!document.querySelector(\"#overdue a[href='/p/TL-2026-001']\")"), 5)
        no_alert(d, "board")
        d.save_screenshot(os.path.join(SHOTS, "board-1920x1080.png"))

        step("a project link shows what blocks its procedures")
        d.find_element(By.CSS_SELECTOR, f"#ticker li[data-seq='{seq}'] a[href^='/p/']").click()
        wait("the project page", lambda: d.current_url.endswith("/p/TL-2026-001"))
        wait("the procedures table", lambda: d.find_elements(By.CSS_SELECTOR, "tr[data-state]"))
        blocked = d.find_elements(By.CSS_SELECTOR, "tr[data-state='blocked'] td.blockers")
        if not blocked or not any(b.text.strip() for b in blocked):
            fail("no blocked procedure names what it waits for")
        if not d.find_elements(By.CSS_SELECTOR, "#graph g.node.critical"):
            fail("the graph marks no critical path")
        d.save_screenshot(os.path.join(SHOTS, "project-1920x1080.png"))

        step("the blocked and overdue lists, with permitctl's filters")
        for page, args in (("/blocked", ["blocked", "--dept", "DRC"]),
                           ("/overdue?colour=red&region=" + urllib.parse.quote("科尔沁区"),
                            ["overdue", "--colour", "red", "--region", "科尔沁区"])):
            path = page if "?" in page else page + "?dept=DRC"
            d.get(URL + path)
            wait(path, lambda: d.find_elements(By.CSS_SELECTOR, "main tbody tr[data-code]"))
            shown = {(r.get_attribute("data-project"), r.get_attribute("data-code"))
                     for r in d.find_elements(By.CSS_SELECTOR, "main tbody tr[data-code]")}
            out = subprocess.run([os.environ["PERMITCTL"], *args, "--json"], capture_output=True,
                                 text=True, check=True)
            want = {(r["project"], r["code"]) for r in json.loads(out.stdout)}
            if shown != want or not want:
                fail(f"{path} shows {sorted(shown)}, permitctl {' '.join(args)} {sorted(want)}")
            no_alert(d, path)

        step("hostile names render as text: page, SVG, JSON, stream")
        for what, path in (("departments", "evil_depts.csv"), ("projects", "evil.csv")):
            subprocess.run([os.environ["PERMITCTL"], "import", what, os.path.join(T, path)],
                           check=True, capture_output=True)
        d.get(URL + "/")
        wait("the hostile region in the chart", lambda: "<img src=x onerror=alert(2)>" in d.execute_script(
            "return Array.from(document.querySelectorAll('svg text')).map(t => t.textContent)"), 5)
        no_alert(d, "board")
        d.get(URL + "/p/EVIL-1")
        wait("the hostile project's title", lambda: d.find_elements(By.ID, "title"))
        no_alert(d, "/p/EVIL-1")
        title = d.find_element(By.ID, "title").text
        if HOSTILE.replace("\u202e", "") not in title.replace("\u202e", "") or "\u202e" not in \
                d.execute_script("return document.getElementById('title').textContent"):
            fail(f"the hostile name is not shown as its text: {title!r}")
        if d.find_elements(By.CSS_SELECTOR, "main script, main img, main b"):
            fail("a hostile name became markup")
        d.get(URL + "/d/EVL")
        wait("the department page", lambda: d.find_elements(By.TAG_NAME, "h1"))
        no_alert(d, "/d/EVL")
        raw = get("/api/project/EVIL-1")
        if b"<" in raw or b">" in raw or "\u202e".encode() in raw and b"\\u2028" in raw:
            fail("the JSON carries a raw '<' or '>'")
        doc = json.loads(raw)
        if doc["project"]["name"] != HOSTILE:
            fail(f"the JSON changed the name: {doc['project']['name']!r}")
        req = urllib.request.Request(URL + "/events?after=0")
        with urllib.request.urlopen(req, timeout=5) as r:
            data = b""
            while b"EVIL-1" not in data or b"alert(1)" not in data:
                chunk = r.read1(65536)
                if not chunk:
                    break
                data += chunk
        if b"<script>" in data or b"alert(1)" not in data:
            fail("the stream carries the hostile name as raw markup, or not at all")

        step("screenshots at phone width")
        screen(d, 390, 844, True)
        step("project at phone width")
        d.get(URL + "/p/TL-2026-001")
        wait("the project at phone width", lambda: d.find_elements(By.CSS_SELECTOR, "tr[data-state]"))
        d.save_screenshot(os.path.join(SHOTS, "project-390x844.png"))
        step("board at phone width")
        d.get(URL + "/")
        wait("the board at phone width", lambda: d.find_elements(By.ID, "rate"))
        d.save_screenshot(os.path.join(SHOTS, "board-390x844.png"))
        screen(d, 1920, 1080, False)
        step("English")
        d.get(URL + "/?lang=en")
        wait("the English board", lambda: d.find_elements(By.ID, "rate"))
        if "Completion" not in d.find_element(By.TAG_NAME, "main").text:
            fail("?lang=en did not give English")
    finally:
        step("quit")
        d.quit()
        step("quitted")
        if second is not None:
            second.send_signal(signal.SIGTERM)
            rc = second.wait(15)
            if rc != 0:
                fail(f"the restarted permit-web exited {rc} after SIGTERM (see {T}/web.restart.err)")
    step("PASS")


if __name__ == "__main__":
    main()
