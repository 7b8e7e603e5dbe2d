"""Loads feedd's pages in headless Chromium, the way a person would open them.

Usage: check_pages.py BASE_URL EXPECTED.json OUT_DIR

EXPECTED.json holds {"titles": [...], "alternates": [[type, href], ...], "feed": path, "feed_url": url}:
the entry titles the index must show, the autodiscovery links its <head> must carry, and a feed
path to open as a browser navigation (which must show that feed's page, with its address).
Checks that both pages parse as HTML5 without a single parse error (html5lib, strict), that
every entry title is visible, the inline style and script ran (the Content Security
Policy allowed them), nothing was logged to the console, and the page fits a phone's width.
Screenshots (light, dark, phone, feed page) go to OUT_DIR. Exits 1 with every failure listed.
"""

import json
import shutil
import sys
import urllib.request
from pathlib import Path

import html5lib
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        sys.exit(f"check_pages.py: chromium ({chromium}) and chromedriver ({driver}) are needed; "
                 "run scripts/install-deps")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1200,900", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium must not try to download one.
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def console(driver, page):
    for entry in driver.get_log("browser"):
        failures.append(f"{page}: console {entry['level']}: {entry['message']}")


def check_parses(url, page):
    """The page's bytes as served, parsed by the HTML5 algorithm that stops at any parse error."""
    # Without Fetch Metadata, an Accept that prefers HTML is what asks for a feed's page.
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(request) as response:
        check(response.headers.get_content_type() == "text/html",
              f"{page}: served as {response.headers.get_content_type()}")
        raw = response.read()
    try:
        html5lib.HTMLParser(strict=True).parse(raw)
    except html5lib.html5parser.ParseError as error:
        failures.append(f"{page}: not valid HTML5: {error}")


def check_common(driver, page):
    style = driver.execute_script("return getComputedStyle(document.body).maxWidth")
    check(style == "704px", f"{page}: the inline style sheet did not apply (max-width {style})")
    fields = driver.find_elements(By.CSS_SELECTOR, "input[data-copy]")
    buttons = driver.find_elements(By.CSS_SELECTOR, "input[data-copy] + button")
    check(fields and len(buttons) == len(fields),
          f"{page}: the copy script did not run ({len(fields)} fields, {len(buttons)} buttons)")


def check_index(driver, base, expected, out):
    driver.get(base + "/")
    alternates = [[link.get_attribute("type"), link.get_attribute("href")]
                  for link in driver.find_elements(By.CSS_SELECTOR, "head link[rel=alternate]")]
    check(alternates == expected["alternates"],
          f"index: autodiscovery links {alternates} != {expected['alternates']}")
    shown = {}
    for link in driver.find_elements(By.CSS_SELECTOR, "article h3 a"):
        shown[link.text] = link.is_displayed()
    for title in expected["titles"]:
        check(shown.get(title) is True, f"index: entry title {title!r} is not visible")
    check_common(driver, "index")
    button = driver.find_element(By.CSS_SELECTOR, "input[data-copy] + button")
    button.click()
    check(button.text == "Copied", f"index: the copy button says {button.text!r} after a click")
    driver.save_screenshot(str(out / "index.png"))
    light = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    check(light != dark, f"index: the dark scheme has the light background {dark}")
    driver.save_screenshot(str(out / "index-dark.png"))
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    driver.set_window_size(390, 844)
    driver.get(base + "/")
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    check(overflow <= 0, f"index: {overflow}px wider than a phone's screen")
    driver.save_screenshot(str(out / "index-phone.png"))
    driver.set_window_size(1200, 900)
    console(driver, "index")


def check_feed_page(driver, base, expected, out):
    driver.get(base + "/" + expected["feed"])
    address = driver.find_element(By.ID, "feed-address").get_attribute("value")
    check(address == expected["feed_url"], f"feed page: address {address!r}")
    titles = [link.text for link in driver.find_elements(By.CSS_SELECTOR, "article h3 a")
              if link.is_displayed()]
    for title in expected["titles"]:
        check(title in titles, f"feed page: entry title {title!r} is not visible")
    check_common(driver, "feed page")
    driver.save_screenshot(str(out / "feed-page.png"))
    console(driver, "feed page")


def main():
    base, expected_path, out = sys.argv[1].rstrip("/"), sys.argv[2], Path(sys.argv[3])
    expected = json.loads(Path(expected_path).read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    driver = browser()
    check_parses(base + "/", "index")
    check_parses(base + "/" + expected["feed"], "feed page")
    try:
        check_index(driver, base, expected, out)
        check_feed_page(driver, base, expected, out)
    finally:
        driver.quit()
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"check_pages.py: index and {expected['feed']} pass in "
          f"{driver.capabilities.get('browserVersion', 'Chromium')}; screenshots in {out}")


if __name__ == "__main__":
    main()
