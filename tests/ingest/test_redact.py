"""Secret redaction: each rule on realistic text, no masking of ordinary code, paths and hashes, counts in the
ingest summary, and `--no-redact` through the CLI."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES
from tracegraph.cli import cli
from tracegraph.ingest import ingest_paths
from tracegraph.ingest.redact import MASK, RULES, redact_text
from tracegraph.store import open_store

M = MASK
# rule → (text as an agent or a tool printed it, the text stored)
CASES: dict[str, list[tuple[str, str]]] = {
    "private-key": [("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAq8s9\n-----END RSA PRIVATE KEY-----",
                     f"-----BEGIN RSA PRIVATE KEY-----{M}-----END RSA PRIVATE KEY-----")],
    "anthropic-key": [("client = Anthropic(api_key='sk-ant-api03-Xy7kPq2LmN9vR4tW8zB1cD5fG3hJ6kL0-mNoPqRsT_AA')",
                       f"client = Anthropic(api_key='{M}')")],
    "openai-key": [("Incorrect API key provided: sk-proj-4fJk2LmN8pQrS7tUvW9xYz1AbCdEfGh. You can find your key",
                    f"Incorrect API key provided: {M}. You can find your key"),
                   ("openai.api_key = 'sk-AbCdEfGhIjKlMnOpQrStT3BlbkFJ1234567890abcd'", f"openai.api_key = '{M}'")],
    "github-token": [("git clone https://ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8@github.com/acme/app.git",
                      f"git clone https://{M}@github.com/acme/app.git")],
    "github-pat": [("echo github_pat_11ABCDEFG0aBcDeFgHiJkLmN_oPqRsTuVwXyZ0123456789abcdefghijkl | gh auth login",
                    f"echo {M} | gh auth login")],
    "aws-access-key": [("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\nregion = us-east-1",
                        f"aws_access_key_id = {M}\nregion = us-east-1")],
    "slack-token": [("SLACK_BOT=xoxb-1234567890-0987654321-AbCdEfGhIj", f"SLACK_BOT={M}")],
    "google-api-key": [("https://maps.googleapis.com/maps/api/geocode/json?key=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
                        f"https://maps.googleapis.com/maps/api/geocode/json?key={M}")],
    "huggingface-token": [("huggingface-cli login --token hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
                           f"huggingface-cli login --token {M}")],
    "bearer": [("curl -s -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl' "
                "https://api.acme.dev/v1/me", f"curl -s -H 'Authorization: Bearer {M}' https://api.acme.dev/v1/me"),
               ('{"headers": {"authorization": "token 0123456789abcdef0123"}}',
                f'{{"headers": {{"authorization": "token {M}"}}}}')],
    "api-key-header": [("curl https://api.anthropic.com/v1/messages -H 'x-api-key: 3f9a8b7c6d5e4f3a2b1c'",
                        f"curl https://api.anthropic.com/v1/messages -H 'x-api-key: {M}'")],
    "url-credentials": [("pip install --index-url https://deploy:s3cr3tPass@pypi.acme.dev/simple acme-utils",
                         f"pip install --index-url https://deploy:{M}@pypi.acme.dev/simple acme-utils"),
                        ("DATABASE_URL=postgres://app:hunter2xyz@db:5432/app",
                         f"DATABASE_URL=postgres://app:{M}@db:5432/app")],
    "env-secret": [("$ env | sort\nHOME=/root\nOPENAI_API_KEY=abc123def456ghi789\nPATH=/usr/bin",
                    f"$ env | sort\nHOME=/root\nOPENAI_API_KEY={M}\nPATH=/usr/bin"),
                   ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    f"export AWS_SECRET_ACCESS_KEY={M}"),
                   ("DB_PASSWORD='correct horse battery'", f"DB_PASSWORD='{M}'"),
                   # JSON-escaped, as in a tool call's arguments: both values, neither swallowing the other.
                   ('{"content": "ANTHROPIC_API_KEY=lvry7yby2iu0o3k5\\nGITHUB_TOKEN=abcdef123456\\n"}',
                    f'{{"content": "ANTHROPIC_API_KEY={M}\\nGITHUB_TOKEN={M}\\n"}}')],
    "password-flag": [("mysql -u root --password hunter22 -e 'show databases'",
                       f"mysql -u root --password {M} -e 'show databases'"),
                      ("app --password x", f"app --password {M}"),
                      ("openssl pkcs12 -export -passout pass:Sup3rS3cret -out cert.p12",
                       f"openssl pkcs12 -export -passout pass:{M} -out cert.p12")],
    "secret-quoted": [('requests.post(url, json={"username": "admin", "password": "hunter2"})',
                       f'requests.post(url, json={{"username": "admin", "password": "{M}"}})'),
                      ("c.ServerApp.password = 'argon2:$argon2id$v=19$m=10240'", f"c.ServerApp.password = '{M}'")],
    "secret-assigned": [("[database]\nuser = app\npassword = pāssw0rd_with_ūnicōde\n",
                         f"[database]\nuser = app\npassword = {M}\n"),
                        ("GET /login?user=bob&password=hunter22&next=/", f"GET /login?user=bob&password={M}&next=/"),
                        ("ssh-keygen -f key passphrase=hunter22", f"ssh-keygen -f key passphrase={M}")],
    "secret-yaml": [("spring:\n  datasource:\n    username: app\n    password: s3cr3t-Pa55\n",
                     f"spring:\n  datasource:\n    username: app\n    password: {M}\n"),
                    ("tls:\n  PASSPHRASE: hunter22x\n", f"tls:\n  PASSPHRASE: {M}\n")],
}

ORDINARY = [
    "commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f\nAuthor: Dev <dev@acme.dev>",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "pip install scikit-learn sk-learn sk-video-processing-tools",
    "task-abcdefghij0123456789klmnop finished",
    "user.password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())",
    "def login(username: str, password: str) -> bool:",
    "password: Optional[str] = None",
    "conn = psycopg2.connect(user=user, password=password, host=host)",
    "client = Client(password=self.password, api_key=settings.API_KEY)",
    "API_KEY = os.environ['OPENAI_API_KEY']",
    "api_key = os.getenv('ANTHROPIC_API_KEY')",
    "export OPENAI_API_KEY=$OPENAI_API_KEY && curl -H \"x-api-key: ${ANTHROPIC_API_KEY}\" $URL",
    'token: "${{ secrets.GITHUB_TOKEN }}"',
    "MAX_TOKENS=128000\nAPPROX_TOKENS_PER_WARC = 90000000\nTOKENIZERS_PARALLELISM=false",
    "GOOGLE_APPLICATION_CREDENTIALS=/app/credentials.json",
    "echo 'export AWS_SECRET_ACCESS_KEY=<your-aws-secret-access-key>' >> ~/.bashrc",
    "/bin/bash: line 18: return: secret: numeric argument required",
    "Password authentication is enabled. The password validation logic rejects passwords below 12 characters.",
    "if username and password:\n    session.login(username, password)",
    "usage: backup [-h] [--password PASSWORD] [--password-file PATH]",
    "git@github.com:acme/app.git ssh://git@github.com:22/acme/app https://example.com:8080/path@v2",
    "/home/dev/.ssh/id_rsa.pub /etc/ssl/private/server.key",
    "PWD=/home/dev/project\nOLDPWD=/home/dev",
    "Authorization: Bearer $TOKEN",
]


@pytest.mark.parametrize("rule, text, stored", [(r, t, s) for r, cases in CASES.items() for t, s in cases])
def test_each_rule_masks_its_secret(rule, text, stored):
    assert next(r for r in RULES if r.name == rule).pattern.search(text), f"{rule} does not match"
    assert redact_text(text) == (stored, stored.count(M))


def test_every_rule_has_a_case():
    assert set(CASES) == {r.name for r in RULES}


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_code_paths_and_hashes_are_left_alone(text):
    assert redact_text(text) == (text, 0)


def test_nothing_to_redact():
    assert redact_text(None) == (None, 0) and redact_text("") == ("", 0)


SECURITY_VULHUB = next((FIXTURES / "tb-claude-code" / "c4" / "security-vulhub-minio").iterdir())
LEAKED = "lvry7yby2iu0o3k5anv1yp8ox1hu43u0f8yl"  # the key a real trial printed with `env`

STORED_TEXT = """
MATCH (r:Run) OPTIONAL MATCH (r)-[:HAS_STEP]->(s:Step) OPTIONAL MATCH (s)-[:CALLS]->(c:ToolCall)
OPTIONAL MATCH (s)-[:OBSERVES]->(o:Observation)
RETURN r.task_text AS task, r.final_message AS final, r.verifier_output AS verifier, s.action AS action,
       s.command AS command, s.thought AS thought, s.observation AS summary, c.arguments_json AS arguments,
       o.content AS content
"""


def stored_text(store) -> str:
    return json.dumps(store.query(STORED_TEXT))


def test_a_real_leak_is_masked_before_it_is_stored_and_counted(tmp_path, store):
    trial = tmp_path / SECURITY_VULHUB.name
    shutil.copytree(SECURITY_VULHUB, trial)
    report = ingest_paths([trial], store)
    assert not report.errors
    [run] = report.runs
    # Step 5 ran `env`: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN and OPENAI_API_KEY in its result (3; 2 in the
    # step's shorter summary of it); step 14 wrote two of them into a report (2 in its action, 2 in its arguments).
    assert run.redactions == report.redactions == 9
    text = stored_text(store)
    assert LEAKED not in text and "ANTHROPIC_API_KEY=[REDACTED]" in text


def test_no_redact_keeps_secrets_and_the_summary_says_so(tmp_path):
    trial = tmp_path / SECURITY_VULHUB.name
    shutil.copytree(SECURITY_VULHUB, trial)
    runner = CliRunner()
    default = runner.invoke(cli, ["--store", str(tmp_path / "masked"), "ingest", str(trial)], catch_exceptions=False)
    assert default.exit_code == 0, default.output
    assert "9 secrets redacted" in " ".join(default.output.split())
    kept = runner.invoke(cli, ["--store", str(tmp_path / "kept"), "--json", "ingest", "--no-redact", str(trial)],
                         catch_exceptions=False)
    assert kept.exit_code == 0, kept.output
    summary = json.loads(kept.output)
    assert summary["redactions"] == 0 and summary["runs"][0]["redactions"] == 0

    for folder, present in (("masked", False), ("kept", True)):
        store = open_store(str(tmp_path / folder))
        try:
            assert (LEAKED in stored_text(store)) is present
        finally:
            store.close()
