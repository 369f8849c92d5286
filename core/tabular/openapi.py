"""The import and export endpoints in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from core.api.openapi import problem_responses, ref
from core.contributions import ApiResource

ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
FILE_CONTENT = {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}
JOB = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": "integer"},
        "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        "stage": {"type": "string"},
        "done": {"type": "integer"},
        "total": {"type": ["integer", "null"]},
        "percent": {"type": ["integer", "null"]},
    },
}
COUNTS = {
    "type": "object",
    "properties": {
        name: {"type": "integer"} for name in ("rows", "created", "updated", "skipped", "failed")
    },
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("schemas", schema)}},
    }


TABULAR_RESOURCE = ApiResource(
    name="core.tabular",
    paths={
        "/imports": {
            "post": {
                "operationId": "createImport",
                "summary": "Upload a CSV or Excel file and import it as a background job",
                "tags": ["imports"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["type", "file"],
                                "properties": {
                                    "type": {"type": "string", "example": "customers"},
                                    "file": {"type": "string", "format": "binary"},
                                    "mapping": {
                                        "type": "string",
                                        "description": "JSON object {header: field key}; "
                                        "default: matched from the headers",
                                    },
                                    "on_duplicate": {
                                        "type": "string",
                                        "enum": ["skip", "update", "create"],
                                    },
                                    "match": {
                                        "type": "string",
                                        "description": "comma-separated keys finding duplicates",
                                    },
                                    "valid_rows_only": {"type": "boolean"},
                                    "dry_run": {"type": "boolean"},
                                    "encoding": {"type": "string", "example": "gb18030"},
                                    "sheet": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "202": _json("Import", "The import, queued."),
                    **problem_responses(400, 401, 403, 422),
                },
            }
        },
        "/imports/{id}": {
            "get": {
                "operationId": "getImport",
                "summary": "An import's progress and result",
                "tags": ["imports"],
                "parameters": [ID],
                "responses": {"200": _json("Import", "The import."), **problem_responses(401, 404)},
            }
        },
        "/imports/{id}/errors": {
            "get": {
                "operationId": "getImportErrors",
                "summary": "The failed rows, in the file's format, with an error column",
                "tags": ["imports"],
                "parameters": [ID],
                "responses": {
                    "200": {"description": "The error file.", "content": FILE_CONTENT},
                    **problem_responses(401, 404),
                },
            }
        },
        "/imports/{id}/undo": {
            "post": {
                "operationId": "undoImport",
                "summary": "Undo an import: delete what it created, restore what it updated",
                "tags": ["imports"],
                "parameters": [ID],
                "responses": {
                    "202": _json("Import", "The undo, queued."),
                    **problem_responses(401, 404, 409),
                },
            }
        },
        "/exports": {
            "post": {
                "operationId": "createExport",
                "summary": "Export a type's API list as CSV or XLSX",
                "tags": ["exports"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["type"],
                                "properties": {
                                    "type": {"type": "string", "example": "customers"},
                                    "format": {"type": "string", "enum": ["csv", "xlsx"]},
                                    "filters": {
                                        "type": "object",
                                        "description": "the filters the type's API list takes",
                                        "additionalProperties": {"type": "string"},
                                    },
                                    "sort": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "The file.", "content": FILE_CONTENT},
                    "202": _json("Export", "A large export, queued as a job."),
                    **problem_responses(400, 401, 403, 422),
                },
            }
        },
        "/exports/{id}": {
            "get": {
                "operationId": "getExport",
                "summary": "A large export's progress, and its file's address once ready",
                "tags": ["exports"],
                "parameters": [ID],
                "responses": {"200": _json("Export", "The export."), **problem_responses(401, 404)},
            }
        },
        "/exports/{id}/file": {
            "get": {
                "operationId": "getExportFile",
                "summary": "The file of a finished export (410 once its link expired)",
                "tags": ["exports"],
                "parameters": [ID],
                "responses": {
                    "200": {"description": "The file.", "content": FILE_CONTENT},
                    **problem_responses(401, 404, 410),
                },
            }
        },
    },
    schemas={
        "Import": {
            "type": "object",
            "required": ["id", "type", "state", "counts"],
            "properties": {
                "id": {"type": "integer"},
                "type": {"type": "string"},
                "file": {"type": "string"},
                "format": {"type": "string", "enum": ["csv", "xlsx", "xls"]},
                "state": {
                    "type": "string",
                    "enum": [
                        "draft",
                        "queued",
                        "running",
                        "done",
                        "checked",
                        "not_applied",
                        "failed",
                        "undone",
                    ],
                },
                "header": {"type": "array", "items": {"type": "string"}},
                "mapping": {"type": "object", "additionalProperties": {"type": "string"}},
                "on_duplicate": {"type": "string"},
                "match": {"type": "array", "items": {"type": "string"}},
                "valid_rows_only": {"type": "boolean"},
                "dry_run": {"type": "boolean"},
                "job": JOB,
                "counts": COUNTS,
                "problem": {"type": ["string", "null"]},
                "errors_url": {"type": ["string", "null"], "format": "uri"},
            },
        },
        "Export": {
            "type": "object",
            "required": ["id", "state"],
            "properties": {
                **JOB["properties"],
                "file_url": {"type": ["string", "null"], "format": "uri"},
                "rows": {"type": ["integer", "null"]},
                "expires_at": {"type": ["string", "null"], "format": "date-time"},
            },
        },
    },
)
