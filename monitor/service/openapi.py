"""The OpenAPI 3.1 description of the service's HTTP API (``GET /api/v1/openapi.json``).

The post schema is generated from the same pydantic model the intake validates with
(:class:`monitor.models.Post`), plus the two rules the model checks in code (an author needs
``id`` or ``handle``; a share, quote or forward needs ``parent``), so a schema-driven fuzzer and
the intake agree on what a valid post is. ``raw`` is set by the service and not part of a request.
"""

from __future__ import annotations

import copy
from typing import Any

from monitor.models import Post
from monitor.models.post import NEEDS_PARENT

REF = "#/components/schemas/{model}"


def _post_schemas() -> dict[str, Any]:
    schema = Post.model_json_schema(ref_template=REF, mode="validation")
    defs = schema.pop("$defs", {})
    schema["properties"].pop("raw", None)
    author = defs["Author"]
    author["anyOf"] = [{"required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}},
                       {"required": ["handle"], "properties": {"handle": {"type": "string", "minLength": 1}}}]
    schema["if"] = {"required": ["kind"], "properties": {"kind": {"enum": list(NEEDS_PARENT)}}}
    schema["then"] = {"required": ["parent"], "properties": {"parent": {"$ref": REF.format(model="ParentRef")}}}
    return {"Post": schema, **defs}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = {"type": "object", "required": ["error", "message"], "additionalProperties": False,
         "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
ITEM = {"type": "object", "required": ["index", "status"],
        "properties": {"index": {"type": "integer", "minimum": 0},
                       "status": {"enum": ["accepted", "rejected"]},
                       "platform": {"type": "string"}, "post_id": {"type": "string"},
                       "reason": {"type": "string"}}}
RESULT = {"type": "object",
          "required": ["source", "accepted", "rejected", "new", "duplicate", "revised", "hits", "items"],
          "properties": {"source": {"type": "string"},
                         **{k: {"type": "integer", "minimum": 0}
                            for k in ("accepted", "rejected", "new", "duplicate", "revised", "hits")},
                         "items": {"type": "array", "items": {"$ref": REF.format(model="IntakeItem")}}}}


def openapi_spec(*, max_items: int, max_body_bytes: int) -> dict[str, Any]:
    """The description, with this service's limits (items per request, body size)."""
    post_ref = {"$ref": REF.format(model="Post")}
    err_ref = {"$ref": REF.format(model="Error")}
    result_ref = {"$ref": REF.format(model="IntakeResult")}
    body = {"oneOf": [
        post_ref,
        {"type": "array", "items": post_ref, "maxItems": max_items},
        {"type": "object", "required": ["posts"], "additionalProperties": False,
         "properties": {"posts": {"type": "array", "items": post_ref, "maxItems": max_items}}},
    ]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ASN neutrality monitor service", "version": "1",
                 "description": "Webhook intake for posts pushed by external scrapers and staff; health and "
                                f"source status. Request bodies are limited to {max_body_bytes} bytes (413)."},
        "paths": {
            "/api/v1/posts": {"post": {
                "operationId": "postPosts",
                "summary": "Push one post, an array of posts, or {\"posts\": [...]}",
                "description": "Each item is validated on its own: valid ones are stored, invalid ones are "
                               "quarantined and reported back item by item. 200: all accepted; 207: some "
                               "rejected; 422: all rejected.",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {
                    "200": _json(result_ref, "every item accepted"),
                    "207": _json(result_ref, "some items rejected (see items)"),
                    "422": _json(result_ref, "every item rejected (see items)"),
                    "400": _json(err_ref, "the body as a whole is unusable (not JSON, too many items)"),
                    "401": _json(err_ref, "missing or wrong bearer token"),
                    "413": _json(err_ref, "request body too large"),
                    "503": _json(err_ref, "the service is shutting down, or its database cannot be written now "
                                          "(disk full, read-only; error storage_unavailable, with Retry-After): "
                                          "nothing was stored, send the request again later"),
                },
            }},
            "/healthz": {"get": {
                "operationId": "getHealth", "summary": "Liveness, rules and the state of every source",
                "responses": {"200": _json({"type": "object"}, "healthy"),
                              "503": _json({"type": "object"}, "not healthy (see the body)")},
            }},
            "/api/v1/sources": {"get": {
                "operationId": "getSources", "summary": "Run status of every polled source",
                "responses": {"200": _json({"type": "object", "additionalProperties": {"type": "object"}},
                                           "source name -> status")},
            }},
            "/api/v1/openapi.json": {"get": {
                "operationId": "getOpenApi", "summary": "This description",
                "responses": {"200": _json({"type": "object"}, "the OpenAPI description")},
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "the token in the environment variable named by "
                                                          "token_env of the [sources.NAME] webhook block"}},
            "schemas": {**copy.deepcopy(_post_schemas()), "Error": ERROR, "IntakeItem": ITEM,
                        "IntakeResult": RESULT},
        },
    }
