import os

# numpy's BLAS (the face embedding's matrix products, vendors.resnet) runs each call on one thread:
# the worker's task threads and processes already share the cores, and a pool of BLAS threads per
# call only contends with them. Set before numpy loads; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# OpenCV's parallel loops likewise (BlazeFace, the card outline, the OCR's image work): its pool
# threads wait for work spinning, which costs the other threads' CPU. Set before cv2 loads.
os.environ.setdefault("OPENCV_FOR_THREADS_NUM", "1")

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
