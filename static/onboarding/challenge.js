// Active liveness: ask for a random order of head turns, send a short burst of frames
// while the applicant follows it, and show whether it passed and why not (a worker verifies
// the burst; the page asks for the verdict until it is there).
(function () {
  "use strict";
  const box = document.querySelector("[data-challenge]");
  const video = document.querySelector("[data-video]");
  if (!box || !video) return;
  const startButton = box.querySelector("[data-challenge-start]");
  const retryButton = box.querySelector("[data-challenge-retry]");
  const instruction = box.querySelector("[data-challenge-instruction]");
  const result = box.querySelector("[data-challenge-result]");
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const FRAMES = 12;
  const VERDICT_POLLS = 75; // about 30 s: a worker verifies a burst in about a second

  // Show the panel once the camera is running (capture.js starts it). capture.js runs first and
  // may have the video playing before this script arrives (a slow network): look, then listen.
  if (!video.paused && video.readyState >= 2) box.hidden = false;
  video.addEventListener("playing", () => { box.hidden = false; });

  function grab(maxWidth) {
    const scale = Math.min(1, maxWidth / video.videoWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function run() {
    startButton.hidden = true;
    retryButton.hidden = true;
    result.textContent = "";
    let challenge;
    try {
      const r = await fetch(box.dataset.startUrl, { method: "POST", headers: { "X-CSRFToken": csrf } });
      challenge = await r.json();
      if (!r.ok) throw new Error(challenge.error || r.status);
    } catch (e) {
      // The server's own words when it said no (a cool-down after failed attempts), else a network problem.
      result.textContent = (challenge && challenge.error) || box.dataset.networkError;
      retryButton.hidden = false;
      return;
    }
    // Phases: look at the camera, each turn in order, back to the camera.
    // About 3 s for two turns, 4 s for three (the burst must stay within 2-4 s).
    const phases = [{ text: challenge.look_at_camera, ms: 600 }]
      .concat(challenge.instructions.map((text) => ({ text, ms: 1000 })))
      .concat([{ text: challenge.look_at_camera, ms: 400 }]);
    const total = phases.reduce((s, p) => s + p.ms, 0);
    const interval = total / FRAMES;
    const frames = [];
    let selfie = null;
    let phaseEnd = 0;
    const started = performance.now();
    for (const phase of phases) {
      instruction.textContent = phase.text;
      phaseEnd += phase.ms;
      while (performance.now() - started < phaseEnd) {
        if (frames.length < FRAMES) frames.push(await grab(640));
        if (!selfie && performance.now() - started > 300) selfie = await grab(1280);
        await sleep(interval);
      }
    }
    instruction.textContent = box.dataset.checking;
    const body = new FormData();
    frames.forEach((blob, i) => body.append("frame", blob, `frame${i}.jpg`));
    body.append("selfie", selfie || frames[0], "selfie.jpg");
    try {
      let r = await fetch(challenge.submit_url, { method: "POST", body, headers: { "X-CSRFToken": csrf } });
      let verdict = await r.json();
      // 202: a worker is verifying the burst; ask for its verdict until it is there.
      for (let i = 0; r.status === 202 && i < VERDICT_POLLS; i++) {
        await sleep(400);
        r = await fetch(verdict.state_url, { headers: { Accept: "application/json" } });
        verdict = r.status === 202 ? verdict : await r.json();
      }
      if (r.status === 202) throw new Error("no verdict");
      instruction.textContent = "";
      if (verdict.passed) {
        result.textContent = box.dataset.passed;
        window.location.assign(verdict.next);
        return;
      }
      const list = document.createElement("ul");
      verdict.reasons.forEach((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
      result.textContent = box.dataset.failed;
      result.appendChild(list);
    } catch (e) {
      instruction.textContent = "";
      result.textContent = box.dataset.networkError;
    }
    retryButton.hidden = false;
  }

  startButton.addEventListener("click", run);
  retryButton.addEventListener("click", run);
})();
