"""Copy detect-secrets' token patterns into tracegraph/ingest/secret_patterns.json.

tracegraph reads the patterns as data (importing detect-secrets costs ~0.4 s per process and pulls in requests);
tests/ingest/test_redact.py checks the copy still equals the installed detect-secrets.
Usage: .venv/bin/pip install detect-secrets==1.5.0 && .venv/bin/python scripts/vendor_secret_patterns.py
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from pathlib import Path

# Plugin → module. Left out: KeywordDetector, the high-entropy and IP plugins (tracegraph's own context rules and
# entropy check replace them), IBM/Cloudant/Softlayer (keyword-only shapes the context rules cover), BasicAuth
# (the url-credentials rule also skips `$VAR` passwords).
PLUGINS = {
    "AWSKeyDetector": "aws", "ArtifactoryDetector": "artifactory", "AzureStorageKeyDetector": "azure_storage_key",
    "DiscordBotTokenDetector": "discord", "GitHubTokenDetector": "github_token", "GitLabTokenDetector": "gitlab_token",
    "JwtTokenDetector": "jwt", "MailchimpDetector": "mailchimp", "NpmDetector": "npm", "OpenAIDetector": "openai",
    "PrivateKeyDetector": "private_key", "PypiTokenDetector": "pypi_token", "SendGridDetector": "sendgrid",
    "SlackDetector": "slack", "SquareOAuthDetector": "square_oauth", "StripeDetector": "stripe",
    "TelegramBotTokenDetector": "telegram_token", "TwilioKeyDetector": "twilio",
}
OUT = Path(__file__).resolve().parents[1] / "tracegraph" / "ingest" / "secret_patterns.json"
LICENSE = OUT.with_name("secret_patterns.LICENSE")


def current_patterns() -> dict:
    """The patterns as the installed detect-secrets has them."""
    version = importlib.metadata.version("detect-secrets")
    plugins = {}
    for name, module in PLUGINS.items():
        cls = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        plugins[name] = [{"pattern": p.pattern, "ignorecase": bool(p.flags & 2)} for p in cls.denylist]
    return {
        "source": f"detect-secrets {version} (https://github.com/Yelp/detect-secrets), detect_secrets/plugins/",
        "license": "Apache-2.0, Copyright 2017-2018 Yelp Inc. (full text in secret_patterns.LICENSE). The "
                   "patterns are copied unchanged; tracegraph/ingest/redact.py says how tracegraph applies them.",
        "plugins": plugins,
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(current_patterns(), indent=1) + "\n")
    dist = importlib.metadata.distribution("detect-secrets")
    LICENSE.write_text(dist.read_text("LICENSE") or "")
    print(f"wrote {OUT} and {LICENSE.name}")
