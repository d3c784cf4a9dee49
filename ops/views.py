from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Role, role_required


@role_required(Role.ONCALL)
def health_page(request: HttpRequest) -> HttpResponse:
    return render(request, "ops/health.html", {"active": "ops"})
