"""``/docs``: Swagger UI from the assets installed with the ``swagger-ui-bundle`` package
(no CDN), its top bar offering one entry per version's document."""

from __future__ import annotations

import json
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

from apiconform.reference.versioning.config import VersioningConfig
from apiconform.reference.versioning.openapi import document_path

ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
}
ASSET_DIR = Path(swagger_ui_path)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  urls: {urls},
  "urls.primaryName": {primary},
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
}});
</script>
</body>
</html>
"""


def _script_json(value: object) -> str:
    # inside <script>: no "</" may close the element early
    return json.dumps(value).replace("</", "<\\/")


def _label(config: VersioningConfig, version: str) -> str:
    deprecated = config.versions[version].is_deprecated
    return f"v{version}" + (" (deprecated)" if deprecated else "")


def docs_page(config: VersioningConfig, title: str) -> str:
    """The HTML of ``/docs``: one selector entry per version, the default one shown."""
    urls = [
        {"url": document_path(version), "name": _label(config, version)}
        for version in config.supported
    ]
    primary = next(entry["name"] for entry in urls if entry["url"] == document_path(config.default))
    safe_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PAGE.format(title=safe_title, urls=_script_json(urls), primary=_script_json(primary))


def asset(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of a Swagger UI asset; None for any other name."""
    media_type = ASSETS.get(name)
    if media_type is None:
        return None
    return (ASSET_DIR / name).read_bytes(), media_type
