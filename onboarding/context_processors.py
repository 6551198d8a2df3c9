from django.conf import settings


def branding(request):
    return {"brand_name": settings.KYC_BRAND_NAME}
