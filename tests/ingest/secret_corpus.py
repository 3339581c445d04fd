"""Planted secrets: (kind, the text an agent or a tool printed, the secret in it).

Values are made up in each provider's documented shape (none is a live credential); each is unique, so a scan for
it finds only this copy. The corpus test plants them in a real run and scans every output for survivors.
"""

from __future__ import annotations

_PEM_BODY = "\n".join(["MIIEowIBAAKCAQEAzT3Qk9vL2mXc8pR1sT6uV0wY4zA7bC5dE9fG2hJ3kL8mN1oP"] +
                      [f"q{i}Rs7Tu2Vw9Xy4Za1Bc6De3Fg8Hi5Jk0Lm7No2Pq9Rs4Tu1Vw8Xy3Za6Bc5De0Fg" for i in range(22)])
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{_PEM_BODY}\n-----END RSA PRIVATE KEY-----"
OPENSSH_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBq9Zx3Kc7"
AZURE_KEY = "Az7bC9dE1fG3hI5jK7lM9nO1pQ3rS5tU7vW9xY1zA3bC5dE7fG9hI1jK3lM5nO7pQ9rS1tU3vW5xY7zA9bC1dE3fG5h=="
PYPI_TOKEN = ("pypi-AgEIcHlwaS5vcmcCJDk3ZjE2YmM0LTc4ZWItNDk5Ny05YzEyLWE2NTVhMDE3ODdlZAACKlsz"
              "LCJkNzQ4YjZmZS0wOWEwLTQ")
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNzAwMDAwMDAwfQ."
       "Q2hhbmdlTWVTaWduYXR1cmUxMjM0NTY3ODkwYWJj")

# kind → (text, secret)
PLANTED: dict[str, tuple[str, str]] = {
    "aws-access-key-id": ("aws configure set aws_access_key_id AKIAQ3EGRT7WZX4KN2PB", "AKIAQ3EGRT7WZX4KN2PB"),
    "aws-secret-env": ("export AWS_SECRET_ACCESS_KEY=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",
                       "Zq8rT2vX5nB9mK3pL7wY1cF4hJ6dS0gA2eR5tU8i"),
    "aws-secret-ini": ("[default]\naws_access_key_id = AKIAZ7PLM3QRT5WX8NB2\n"
                       "aws_secret_access_key = kP4sV8xB2nM6qR0tW3yZ7cF1hJ5dL9gA3eU6iO2r\nregion = us-east-1",
                       "kP4sV8xB2nM6qR0tW3yZ7cF1hJ5dL9gA3eU6iO2r"),
    "aws-session-token-ini": ("aws_session_token = IQoJb3JpZ2luX2VjEJr7wEaCXVzLWVhc3QtMSJGMEQCIFQx9Kd2Lm4Np6Rt8Vx",
                              "IQoJb3JpZ2luX2VjEJr7wEaCXVzLWVhc3QtMSJGMEQCIFQx9Kd2Lm4Np6Rt8Vx"),
    "aws-sts-json": ('{"Credentials": {"AccessKeyId": "ASIAY4KM7PQ2RT9WX3ZB", '
                     '"SecretAccessKey": "mW7nQ2rT5vY8bC1fH4jK6lP9sU3xZ0aD2gE5iO8u", '
                     '"SessionToken": "FwoGZXIvYXdzEBYaDN7k2Lp4Qr6Tv8Xz1Bc3De5Fg7Hi9Jk0Lm2No4Pq6"}}',
                     "FwoGZXIvYXdzEBYaDN7k2Lp4Qr6Tv8Xz1Bc3De5Fg7Hi9Jk0Lm2No4Pq6"),
    "github-classic": ("git remote set-url origin https://ghp_R7tY2uI9oP4aS6dF1gH3jK8lZ5xC0vB7nM2q@github.com/a/b",
                       "ghp_R7tY2uI9oP4aS6dF1gH3jK8lZ5xC0vB7nM2q"),
    "github-fine-grained": ("GH=github_pat_11AB2CD3E0fGhIjKlMnOpQ_rStUvWxYz0123456789aBcDeFgHiJkLmNoPq",
                            "github_pat_11AB2CD3E0fGhIjKlMnOpQ_rStUvWxYz0123456789aBcDeFgHiJkLmNoPq"),
    "gitlab-pat": ("curl --header 'PRIVATE-TOKEN: glpat-Xy7Zk2Lm9Np4Qr6St1Uv' https://gitlab.example/api/v4/projects",
                   "glpat-Xy7Zk2Lm9Np4Qr6St1Uv"),
    "gitlab-pat-bare": ("token glpat-Ab3Cd5Ef7Gh9Ij1Kl3Mn in the CI settings", "glpat-Ab3Cd5Ef7Gh9Ij1Kl3Mn"),
    "slack-bot-token": ("SLACK=xoxb-2837465019-5647382910-QwErTyUiOpAsDfGhJkLz",
                        "xoxb-2837465019-5647382910-QwErTyUiOpAsDfGhJkLz"),
    "slack-webhook": ("curl -X POST https://hooks.slack.com/services/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 "
                      "-d '{\"text\": \"done\"}'", "T0A1B2C3D/B4E5F6G7H/x9Y8z7W6v5U4t3S2r1Q0pOnM"),
    "stripe-live": ("stripe.api_key = sk_live_51Hq2Kx9Lm3Np5Qr7St9Uv1Wx3Yz5Ab7Cd9Ef1Gh3Ij5Kl7Mn9Op1Qr3",
                    "sk_live_51Hq2Kx9Lm3Np5Qr7St9Uv1Wx3Yz5Ab7Cd9Ef1Gh3Ij5Kl7Mn9Op1Qr3"),
    "stripe-restricted": ("STRIPE=rk_live_51Ab2Cd3Ef4Gh5Ij6Kl7Mn8Op9Qr0St1Uv2Wx3",
                          "rk_live_51Ab2Cd3Ef4Gh5Ij6Kl7Mn8Op9Qr0St1Uv2Wx3"),
    "stripe-test": ("stripe listen --api-key sk_test_4eC39HqLyjWDarjtT1zdp7dcAbCd",
                    "sk_test_4eC39HqLyjWDarjtT1zdp7dcAbCd"),
    "openai-project": ("Incorrect API key provided: sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56.",
                       "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56"),
    "anthropic": ("client = Anthropic(api_key='sk-ant-api03-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz-AA')",
                  "sk-ant-api03-Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz-AA"),
    "google-api-key": ("GET https://maps.googleapis.com/maps/api/js?key=AIzaSyD4f7Gh2Jk9Lm3Np6Qr8St1Uv5Wx0Yz3Ab7c",
                       "AIzaSyD4f7Gh2Jk9Lm3Np6Qr8St1Uv5Wx0Yz3Ab7c"),
    "huggingface": ("huggingface-cli login --token hf_Qw7Er2Ty9Ui4Op1As6Df3Gh8Jk5Lz0Xc2Vb",
                    "hf_Qw7Er2Ty9Ui4Op1As6Df3Gh8Jk5Lz0Xc2Vb"),
    "npm-token": ("npm config set //registry.npmjs.org/:_authToken npm_Zx9Cv8Bn7Mq6Wr5Et4Yu3Io2Pa1Sd0Fg9Hj8Kl",
                  "npm_Zx9Cv8Bn7Mq6Wr5Et4Yu3Io2Pa1Sd0Fg9Hj8Kl"),
    "npmrc-auth-token": ("//registry.npmjs.org/:_authToken=3f9c2b7a-41d8-4e6f-9a2b-7c5d1e8f0a3b",
                         "3f9c2b7a-41d8-4e6f-9a2b-7c5d1e8f0a3b"),
    "sendgrid": ("SENDGRID=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",
                 "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"),
    "twilio-api-key": ("twilio api:core:keys:list -> SK2b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e",
                       "SK2b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e"),
    "jwt-bare": (f"login ok, session cookie set to {JWT} (expires in 1h)", JWT),
    "bearer-header": ("curl -H 'Authorization: Bearer tk_9f8e7d6c5b4a39281706f5e4d3c2b1a0' https://api.acme.dev/me",
                      "tk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    "x-api-key-header": ("curl https://api.acme.dev -H 'x-api-key: 7Hq2Wz9Kx4Lm1Np6Rt3Vy8Bc'",
                         "7Hq2Wz9Kx4Lm1Np6Rt3Vy8Bc"),
    "url-credentials": ("psql postgres://app:Pg7Wq2Xr9Ts4@db.internal:5432/app", "Pg7Wq2Xr9Ts4"),
    "curl-user": ("curl -u deploy:Cu9Rl4Pw2Xs7 https://ci.acme.dev/job/build", "Cu9Rl4Pw2Xs7"),
    "mysql-p": ("mysql -h db -u root -pMy5qlR00tPw9 -e 'show databases'", "My5qlR00tPw9"),
    "sshpass": ("sshpass -p 'Ss8hP4ss2Wd' ssh admin@10.0.0.5 uptime", "Ss8hP4ss2Wd"),
    "docker-login": ("docker login -u bot -p Dk3rL0g1nPw7 registry.acme.dev", "Dk3rL0g1nPw7"),
    "redis-cli": ("redis-cli -h cache -a Rd5sPw8Xq2Lz ping", "Rd5sPw8Xq2Lz"),
    "password-flag": ("app-admin --password Pf4gW9xQ2zR7 --user admin", "Pf4gW9xQ2zR7"),
    "openssl-pass": ("openssl pkcs12 -export -passout pass:Op3nSsl9Pw4x -out cert.p12", "Op3nSsl9Pw4x"),
    "pem-private-key": (f"$ cat server.key\n{PEM}\n$ ls", _PEM_BODY.splitlines()[5]),
    "openssh-private-key": (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{OPENSSH_BODY}\n-----END OPENSSH PRIVATE KEY-----",
                            OPENSSH_BODY.splitlines()[1]),
    "azure-account-key": ("DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey="
                          f"{AZURE_KEY};"
                          "EndpointSuffix=core.windows.net",
                          AZURE_KEY),
    "azure-sas-key": ("Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;"
                      "SharedAccessKey=Sb4sK8eY2xQ6wR0tZ3vN7mL1pJ5hG9fD3sA7=", "Sb4sK8eY2xQ6wR0tZ3vN7mL1pJ5hG9fD3sA7="),
    "pypi-token": (f"twine upload -u __token__ -p {PYPI_TOKEN}", PYPI_TOKEN),
    "mailchimp": ("MAILCHIMP=9f3c7a1e5b2d8f4a6c0e9b7d3f1a5c8e-us14", "9f3c7a1e5b2d8f4a6c0e9b7d3f1a5c8e-us14"),
    "square-oauth": ("square_secret sq0csp-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd",
                     "sq0csp-Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd"),
    "telegram-bot": ("curl https://api.telegram.org/bot5829301746:AAH7kLm2Np4Qr6St8Uv0Wx2Yz4Ab6Cd8Ef0/getMe",
                     "AAH7kLm2Np4Qr6St8Uv0Wx2Yz4Ab6Cd8Ef0"),
    "digitalocean": ("doctl auth init -t dop_v1_3f9c2b7a41d84e6f9a2b7c5d1e8f0a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b",
                     "dop_v1_3f9c2b7a41d84e6f9a2b7c5d1e8f0a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b"),
    "vault-token": ("export VAULT_ADDR=https://vault:8200 VT=hvs.CAESIJk3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd",
                    "hvs.CAESIJk3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd"),
    "env-dump": ("$ env\nHOME=/root\nANTHROPIC_API_KEY=q7w8e9r0t1y2u3i4o5p6a7s8\nPATH=/usr/bin",
                 "q7w8e9r0t1y2u3i4o5p6a7s8"),
    "dotenv-password": ("DB_PASSWORD='Db Pa55 w0rd!'", "Db Pa55 w0rd!"),
    "yaml-password": ("datasource:\n  username: app\n  password: Ya7mlPw3Xq\n", "Ya7mlPw3Xq"),
    "json-password": ('requests.post(url, json={"username": "admin", "password": "Js0nPw8Qz4"})', "Js0nPw8Qz4"),
    "client-secret": ('OAUTH = {"client_id": "acme-web", "client_secret": "Cl1entS3cr3tVa1ue9x"}',
                      "Cl1entS3cr3tVa1ue9x"),
    "generic-key-entropy": ("signing_key: 8c1F4e7A0d3B6g9H2j5K8m1N4p7Q0r3S", "8c1F4e7A0d3B6g9H2j5K8m1N4p7Q0r3S"),
    "api-token-flag": ("deploy-cli --api-token 4b8F2k6N0r4V8z2D6h0L4p8T2x6B0f4J --env prod",
                       "4b8F2k6N0r4V8z2D6h0L4p8T2x6B0f4J"),
}

# Planted outside the texts above: in a tool call's arguments JSON only, in a file path, in the task and final
# message, and a key whose END line is cut off by the observation limit.
ARGUMENT_SECRET = "Ar9gJs0nK3y7Qw2Ez5"
PATH_SECRET = "ghp_P4thT0k3nZ9x8C7v6B5n4M3q2W1e0R9t8Y7u"
TASK_SECRET = "sk-proj-T4skT3xt9Qw8Er7Ty6Ui5Op4As3Df2"
FINAL_SECRET = "xoxp-1234567890-0987654321-F1n4lM3ss4g3S3cr3t"
CLIPPED_PEM_LINE = "Cl1pp3dPemL1neXy7Zw4Vu1Ts8Rq5Po2Nm9Lk6Ji3Hg0Fe7Dc4Ba1Zy8Xw5Vu2Ts9"
