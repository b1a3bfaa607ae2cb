# A LiteLLM proxy hook, loaded from config.yaml (litellm_settings.callbacks) beside which it is
# mounted. It refuses, before any model call, a request that names a remote resource in a
# field the proxy or the model provider would fetch: an image_url, a file, an input_image or
# input_file, a tool result's image, a gs:// or https:// file_uri. LiteLLM (1.84.10) downloads
# such URLs itself for Gemini (prompt_templates/image_handling.py convert_url_to_base64,
# guarded only against private addresses) or hands them to Google to fetch, so a caller that
# may not reach the internet could make the proxy reach any host. URLs inside text are only
# text and pass; inline data (data: URIs, base64) passes. Built-in web tools of Gemini
# (googleSearch, urlContext, ...) fetch on the caller's behalf too and are refused.
import re

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

# Keys whose string values are prose or identifiers, never fetched.
TEXT_KEYS = frozenset({
    "text", "content", "arguments", "thinking", "reasoning_content", "refusal", "name", "role",
    "type", "id", "tool_call_id", "signature", "model", "user", "description",
})
# Request fields that carry messages or their equivalents in the other APIs the proxy serves.
SCANNED = ("messages", "input", "contents", "system", "instructions", "prompt")
WEB_TOOLS = frozenset({
    "googleSearch", "google_search", "googleSearchRetrieval", "google_search_retrieval",
    "urlContext", "url_context", "enterpriseWebSearch", "enterprise_web_search",
})
REMOTE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")


def remote_reference(value, key=None, where="request"):
    """The path of the first value that names a remote resource, or None."""
    if isinstance(value, str):
        return where if key not in TEXT_KEYS and REMOTE.match(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            found = remote_reference(v, k, f"{where}.{k}")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = remote_reference(v, key, f"{where}[{i}]")
            if found:
                return found
    return None


def refuse(message):
    raise HTTPException(status_code=400, detail={"error": f"abevalflow url guard: {message}"})


class UrlGuard(CustomLogger):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        for field in SCANNED:
            found = remote_reference(data.get(field), field, field)
            if found:
                refuse(f"{found} names a remote resource; send its content inline (base64) instead")
        for tool in data.get("tools") or []:
            if isinstance(tool, dict) and WEB_TOOLS & set(tool):
                refuse("built-in web tools (" + ", ".join(sorted(WEB_TOOLS & set(tool))) + ") fetch on the caller's behalf and are not allowed")
        if data.get("web_search_options") is not None:
            refuse("web_search_options fetch on the caller's behalf and are not allowed")
        return data


proxy_handler_instance = UrlGuard()
