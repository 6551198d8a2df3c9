// Camera capture with the file input as the fallback that always works.
// The shot is put into the form's file input, so the server sees one kind of upload.
(function () {
  "use strict";
  const form = document.querySelector("[data-capture]");
  if (!form) return;
  const panel = form.querySelector("[data-camera]");
  const video = form.querySelector("[data-video]");
  const preview = form.querySelector("[data-preview]");
  const shoot = form.querySelector("[data-shoot]");
  const retake = form.querySelector("[data-retake]");
  const input = form.querySelector("input[type=file]");
  const errorBox = form.querySelector("[data-camera-error]");
  const facing = form.dataset.facing || "user";
  const messages = {
    denied: document.documentElement.lang.startsWith("zh")
      ? "无法使用摄像头。您可以在下方上传照片。"
      : "The camera is not available. You can upload a photo below instead.",
  };
  let stream = null;

  function showError() {
    errorBox.textContent = messages.denied;
    errorBox.hidden = false;
    panel.hidden = true;
  }

  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof DataTransfer === "undefined") {
      return; // no camera API: the upload field is already there
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false,
      });
    } catch (e) {
      showError();
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    panel.hidden = false;
  }

  shoot.addEventListener("click", function () {
    if (!video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      const file = new File([blob], "camera.jpg", { type: "image/jpeg" });
      const dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      video.hidden = true;
      shoot.hidden = true;
      retake.hidden = false;
    }, "image/jpeg", 0.92);
  });

  retake.addEventListener("click", function () {
    input.value = "";
    preview.hidden = true;
    video.hidden = false;
    shoot.hidden = false;
    retake.hidden = true;
  });

  form.addEventListener("submit", function () {
    form.querySelector("[data-submit]").disabled = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
  });

  start();
})();
