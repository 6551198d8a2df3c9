"""Shared pieces of the browser tests: Debian's Chromium through Playwright, screenshots, cameras.

Three kinds of camera:
- Chromium's fake device playing a Y4M clip made from one still photo (a printed face);
- a "live person": getUserMedia answered with a canvas stream that draws real photos of a face
  turned the way the page's challenge asks, as a person following the instructions would;
- none at all (a desktop without a camera), or a camera the user refuses.
"""

import base64
import io
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.conftest import face

CHROMIUM = os.environ.get("KYC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
BASE_ARGS = ["--no-sandbox", "--disable-background-networking"]
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# The sync Playwright API runs an event loop in this thread; the test's ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def require_chromium():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("KYC_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} not found (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")


def wait_until(page, expression, timeout):
    """Poll with page.evaluate: Playwright's wait_for_function evals in the page, which our CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.1)


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def write_y4m(photo: Path, path: Path, size=(640, 480)):
    """One 4:2:0 frame (Chromium loops it): the photo letterboxed into the camera frame."""
    im = Image.open(photo).convert("RGB")
    im.thumbnail(size)
    frame = Image.new("RGB", size, (40, 40, 40))
    frame.paste(im, ((size[0] - im.width) // 2, (size[1] - im.height) // 2))
    y, u, v = (np.asarray(c) for c in frame.convert("YCbCr").split())
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F30:1 Ip A1:1 C420jpeg\n".encode())
        f.write(b"FRAME\n" + y.tobytes() + u[::2, ::2].tobytes() + v[::2, ::2].tobytes())


def _jpeg_b64(name, mirror=False) -> str:
    im = Image.open(face(name)).convert("RGB")
    im.thumbnail((640, 640))
    if mirror:
        im = ImageOps.mirror(im)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return base64.b64encode(out.getvalue()).decode()


# obama_1 faces the camera; obama_2 is turned to his right, and mirrored to his left (tests/bursts.py).
PERSON_CAMERA = """
(() => {
  const FRAMES = %s;
  const state = { mode: "follow" };  // "still": a photo held up to the camera, it never moves
  window.__kycCamera = state;
  const bitmaps = {};
  const ready = Promise.all(Object.entries(FRAMES).map(async ([pose, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    bitmaps[pose] = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
  }));
  if (!navigator.mediaDevices) return;
  navigator.mediaDevices.getUserMedia = async () => {
    await ready;
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const ctx = canvas.getContext("2d");
    let tick = 0;
    setInterval(() => {
      const asked = (document.querySelector("[data-challenge-instruction]") || {}).textContent || "";
      let pose = "front";
      if (state.mode === "follow") pose = /left|左/i.test(asked) ? "left" : /right|右/i.test(asked) ? "right" : "front";
      const image = bitmaps[pose];
      const scale = Math.min(640 / image.width, 480 / image.height);
      const jitter = state.mode === "follow" ? (tick++ %% 5) - 2 : 0;  // a live camera's frames differ a little
      ctx.fillStyle = "#282828";
      ctx.fillRect(0, 0, 640, 480);
      ctx.drawImage(image, (640 - image.width * scale) / 2 + jitter, (480 - image.height * scale) / 2,
                    image.width * scale, image.height * scale);
      // Sensor noise: no two frames of a real camera are the same bytes (replays are detected by hash).
      for (let i = 0; i < 40; i++) {
        ctx.fillStyle = `rgb(${Math.random() * 255},${Math.random() * 255},${Math.random() * 255})`;
        ctx.fillRect(Math.random() * 640, 470 + Math.random() * 8, 2, 2);
      }
    }, 33);
    return canvas.captureStream(30);
  };
})();
"""


def person_camera_script() -> str:
    frames = {"front": _jpeg_b64("obama_1"), "right": _jpeg_b64("obama_2"), "left": _jpeg_b64("obama_2", mirror=True)}
    return PERSON_CAMERA % json.dumps(frames)


def launch(playwright, *args):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS + list(args))


def close_db_connections():
    """With Playwright's loop running, Django gave the test's reads their own connection: close it,
    or PostgreSQL refuses to drop the test database at the end of the run."""
    from django.db import connections

    connections.close_all()


class Collector:
    """CSP violations and page errors the console reports."""

    def __init__(self, page):
        self.csp, self.errors = [], []
        page.on("console", lambda m: "Content Security Policy" in m.text and self.csp.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
