// Guided capture: the camera with a framing guide and a live light hint, a pre-check of every
// shot with plain advice, retake, and an upload with progress that keeps the photo when the
// connection drops. With the pre-check on, a shot is sent as soon as it is taken: the server
// analyses the stored photo once (the checklist and, later, the case's checks read that analysis)
// and Continue only moves on. Without JavaScript, or when anything here is missing, the plain form posts
// the file input: that fallback always works. Words come from the JavaScript catalog (gettext).
(function () {
  "use strict";
  const form = document.querySelector("[data-capture]");
  if (!form) return;
  const $ = (selector) => form.querySelector(selector);
  const panel = $("[data-camera]");
  const video = $("[data-video]");
  const preview = $("[data-preview]");
  const shoot = $("[data-shoot]");
  const retake = $("[data-retake]");
  const hint = $("[data-live-hint]");
  const input = $("input[type=file]");
  const submit = $("[data-submit]");
  const problem = $("[data-camera-problem]");
  const problemText = $("[data-problem-text]");
  const cameraRetry = $("[data-camera-retry]");
  const checklist = $("[data-checklist]");
  const checklistStatus = $("[data-checklist-status]");
  const checklistItems = $("[data-checklist-items]");
  const uploadError = $("[data-upload-error]");
  const progressBox = $("[data-upload-progress]");
  const progressBar = progressBox.querySelector("progress");
  const progressLabel = $("[data-progress-label]");
  const slowNote = $("[data-slow-note]");
  const csrf = $("[name=csrfmiddlewaretoken]").value;
  const facing = form.dataset.facing || "user";
  const darkBelow = Number(form.dataset.darkBelow);
  const brightAbove = Number(form.dataset.brightAbove);
  const maxBytes = Number(form.dataset.maxBytes);
  const maxSide = Number(form.dataset.maxSide);
  let stream = null;
  let hintTimer = null;
  let chosen = null; // the photo to send: the camera shot or the chosen file
  let sending = false;
  let precheckRun = 0;
  let sent = null; // { photo, next }: the chosen photo, already stored
  let continueWhenSent = false;
  let inflight = null; // the upload on its way, if any

  function cancelUpload() {
    continueWhenSent = false;
    if (inflight) inflight.abort();
  }
  const PRECHECK_POLLS = 30; // about 12 s: then the server checks the photo itself, later

  const PROBLEMS = {
    unsupported: gettext("This browser cannot open the camera on this page. Upload a photo below, or continue on your phone."),
    NotAllowedError: gettext("The camera is blocked. To use it, allow the camera for this site in your browser's settings (often the camera icon in the address bar), then press \"Try the camera again\". Or upload a photo below, or continue on your phone."),
    NotFoundError: gettext("No camera was found on this device. Continue on your phone with the code below, or upload a photo."),
    NotReadableError: gettext("The camera is in use by another app. Close that app and try again, or upload a photo below."),
    other: gettext("The camera could not be started. Try again, or upload a photo below."),
  };

  function showProblem(kind) {
    problemText.textContent = PROBLEMS[kind] || PROBLEMS.other;
    // No camera offered above: the upload is not an "or" any more.
    const label = form.querySelector("label[data-label-alone]");
    if (label) label.textContent = label.dataset.labelAlone;
    cameraRetry.hidden = kind === "unsupported" || kind === "NotFoundError";
    problem.hidden = false;
    panel.hidden = true;
    if (kind === "NotFoundError" || kind === "unsupported") {
      document.dispatchEvent(new CustomEvent("kyc:camera-missing"));
    }
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showProblem("unsupported");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false,
      });
    } catch (e) {
      const name = e && e.name === "SecurityError" ? "NotAllowedError"
        : e && e.name === "OverconstrainedError" ? "NotFoundError" : e && e.name;
      showProblem(name in PROBLEMS ? name : "other");
      return;
    }
    problem.hidden = true;
    video.srcObject = stream;
    await video.play().catch(() => {});
    panel.hidden = false;
    startHints();
  }

  // The light in the middle of the frame, measured a few times a second with the quality check's limits.
  function startHints() {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 48;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    clearInterval(hintTimer);
    hintTimer = setInterval(function () {
      if (!video.videoWidth || video.hidden) return;
      ctx.drawImage(video, 0, 0, 64, 48);
      const d = ctx.getImageData(16, 8, 32, 32).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      const mean = sum / (d.length / 4);
      const text = mean < darkBelow ? gettext("Too dark: move to a brighter place or turn on a light.")
        : mean > brightAbove ? gettext("Too bright: move away from direct light and glare.") : "";
      if (hint.textContent !== text) hint.textContent = text;
    }, 700);
  }

  function stopCamera() {
    clearInterval(hintTimer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
  }

  function showUploadError(text) {
    uploadError.textContent = text;
    form.querySelector(".field").classList.toggle("invalid", Boolean(text));
  }

  function renderChecklist(result) {
    checklistItems.replaceChildren();
    result.items.forEach(function (item) {
      const li = document.createElement("li");
      li.className = item.ok ? "ok" : "bad";
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = item.ok ? "✓" : "!";
      const state = document.createElement("span");
      state.className = "sr-only";
      state.textContent = item.ok ? gettext("Passed:") : gettext("Needs attention:");
      const label = document.createElement("span");
      label.textContent = item.label;
      li.append(mark, state, " ", label);
      item.advice.forEach(function (text) {
        const p = document.createElement("p");
        p.className = "advice";
        p.textContent = text;
        li.appendChild(p);
      });
      checklistItems.appendChild(li);
    });
    checklistStatus.textContent = result.ok ? gettext("This photo looks good. Press Continue.")
      : gettext("This photo may not pass. Follow the advice and retake it, or continue anyway.");
  }

  // The checklist of the stored shot, once a worker has analysed it.
  async function showChecklist(url, run) {
    for (let i = 0; i < PRECHECK_POLLS; i++) {
      let response, result;
      try {
        response = await fetch(url, { headers: { Accept: "application/json" } });
        result = response.status === 200 ? await response.json() : null;
      } catch (e) {
        break;
      }
      if (run !== precheckRun) return; // a newer shot replaced this one
      if (response.status === 200) {
        renderChecklist(result);
        return;
      }
      if (response.status !== 202) break;
      await new Promise((resolve) => setTimeout(resolve, 400));
      if (run !== precheckRun) return;
    }
    if (run === precheckRun) checklist.hidden = true; // the case's own checks will judge it
  }

  function precheck() {
    const run = ++precheckRun;
    checklist.hidden = false;
    checklistItems.replaceChildren();
    checklistStatus.textContent = gettext("Checking the photo…");
    upload(run);
  }

  function choose(blob) {
    cancelUpload();
    chosen = blob;
    sent = null;
    showUploadError("");
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(blob);
    preview.hidden = false;
    video.hidden = true;
    shoot.hidden = true;
    retake.hidden = false;
    if (stream) panel.hidden = false;
    if (form.dataset.precheck !== undefined && window.fetch) precheck();
  }

  preview.addEventListener("error", function () { preview.hidden = true; }); // e.g. HEIC in Chrome

  shoot.addEventListener("click", function () {
    if (!video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      choose(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      retake.focus();
    }, "image/jpeg", 0.92);
  });

  retake.addEventListener("click", function () {
    cancelUpload();
    chosen = null;
    sent = null;
    precheckRun++;
    input.value = "";
    preview.hidden = true;
    checklist.hidden = true;
    video.hidden = false;
    shoot.hidden = false;
    retake.hidden = true;
    shoot.focus();
  });

  // A chosen file over the upload limit (a 48-megapixel camera's, a DSLR's) is shrunk here to the
  // size the server keeps anyway (the image drawn upright, as its EXIF says), instead of being sent
  // only to be refused. One this browser cannot open (HEIC outside Safari) is sent as it is, and
  // the server says what is wrong with it.
  function fitted(file) {
    if (!(file.size > maxBytes) || !maxSide) return Promise.resolve(file);
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.src = url;
    return image.decode().then(function () {
      const k = Math.min(1, maxSide / Math.max(image.naturalWidth, image.naturalHeight));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(image.naturalWidth * k));
      canvas.height = Math.max(1, Math.round(image.naturalHeight * k));
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          const name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(blob ? new File([blob], name, { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.92);
      });
    }).catch(function () { return file; }).finally(function () { URL.revokeObjectURL(url); });
  }

  input.addEventListener("change", function () {
    const file = input.files && input.files[0];
    if (!file) return;
    submit.disabled = true; // until the photo is ready to send
    fitted(file).then(function (photo) {
      submit.disabled = false;
      choose(photo);
    });
  });

  cameraRetry.addEventListener("click", startCamera);

  function moveOn(next) {
    stopCamera();
    window.location.assign(next);
  }

  // Sends the chosen photo. With `run` (the pre-check's), the page stays and shows the checklist;
  // without, or when Continue was pressed meanwhile, it moves on to the next step.
  function upload(run) {
    const photo = chosen;
    sending = true;
    submit.disabled = run === undefined; // while the pre-check's upload runs, Continue waits for it
    showUploadError("");
    progressBox.hidden = false;
    slowNote.hidden = true;
    progressBar.value = 0;
    progressLabel.textContent = gettext("Sending your photo…");
    const body = new FormData();
    body.append("photo", chosen, chosen.name || "photo.jpg");
    const xhr = new XMLHttpRequest();
    inflight = xhr;
    xhr.open("POST", window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.timeout = 120000;
    let lastProgress = Date.now();
    const slowTimer = setInterval(function () { slowNote.hidden = Date.now() - lastProgress < 8000; }, 1000);
    xhr.upload.addEventListener("progress", function (e) {
      lastProgress = Date.now();
      if (e.lengthComputable) progressBar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.upload.addEventListener("load", function () {
      progressLabel.textContent = gettext("Photo sent. Checking it…");
      progressBar.removeAttribute("value"); // indeterminate while the server validates it
    });
    function done() {
      clearInterval(slowTimer);
      if (inflight === xhr) inflight = null;
      sending = false;
      submit.disabled = false;
      progressBox.hidden = true;
    }
    xhr.addEventListener("load", function () {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* an HTML page: the session ended */ }
      if (xhr.status === 200 && data && data.next) {
        if (run === undefined || continueWhenSent) {
          moveOn(data.next);
          return;
        }
        done();
        if (photo === chosen) sent = { photo, next: data.next };
        if (data.check_url) showChecklist(data.check_url, run);
        else checklist.hidden = true;
        return;
      }
      done();
      continueWhenSent = false;
      if (run !== undefined) checklist.hidden = true;
      if (!data && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);
        return;
      }
      showUploadError((data && ((data.errors || [])[0] || data.error)) || gettext("The photo could not be sent. Try again."));
      uploadError.focus();
    });
    function lost() {
      done();
      continueWhenSent = false;
      if (run !== undefined) checklist.hidden = true;
      showUploadError(navigator.onLine
        ? gettext("The connection was lost while sending. Your photo is still here: press Continue to send it again.")
        : gettext("You are offline. Your photo is still here: press Continue when you are back online."));
      uploadError.focus();
    }
    xhr.addEventListener("abort", done); // a newer shot replaced this one
    xhr.addEventListener("error", lost);
    xhr.addEventListener("timeout", lost);
    xhr.send(body);
  }

  if (window.XMLHttpRequest && window.FormData) {
    uploadError.tabIndex = -1;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!chosen) {
        showUploadError(gettext("Take a photo or choose a file first."));
        input.focus();
        return;
      }
      if (sent && sent.photo === chosen) {
        moveOn(sent.next); // stored when it was taken
        return;
      }
      if (sending) {
        continueWhenSent = true; // the pre-check's upload is on its way
        return;
      }
      upload();
    });
  }
  window.addEventListener("pagehide", stopCamera);
  startCamera();
})();
