"""Every page module under console/pages adds its `router` here, under `/ui`."""

import importlib
import pkgutil

from fastapi import APIRouter

from console import pages

router = APIRouter(prefix="/ui", include_in_schema=False)
for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
    module = importlib.import_module(f"{pages.__name__}.{info.name}")
    router.include_router(module.router)
