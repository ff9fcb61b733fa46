"""deploy/: the compose file, the nginx configuration and the systemd units agree with the code.

CI cannot run containers, so this reads the files: every service runs a command the project
has, every variable handed to the application is one it reads, every reference (services,
volumes, the upstream, the Dockerfile) resolves. Where `docker compose` is installed, its own
`config` check runs as well.
"""

# ruff: noqa: S603 - docker compose config on our own file

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Read by the images or libraries, not by our code.
FOREIGN = {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR", "PYTHONUNBUFFERED"}
WORKERS = {
    "imports": "wangge_run_jobs",  # imports and exports: the background worker
    "notifications": "wangge_deliver_notifications",
    "sweep": "wangge_case_sweep",
}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def names_the_code_reads() -> set[str]:
    """Upper-case string literals in the settings and the apps (outside tests)."""
    names: set[str] = set()
    for path in [*ROOT.joinpath("config").rglob("*.py"), *ROOT.joinpath("wangge").rglob("*.py")]:
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        names.update(re.findall(r"[\"']([A-Z][A-Z0-9_]+)[\"']", path.read_text()))
    return names


def test_compose_runs_the_city_shape():
    services = compose()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", *WORKERS, "proxy"}
    assert services["web"]["command"] == [
        "gunicorn",
        "-c",
        "config/gunicorn.conf.py",
        "config.wsgi",
    ]
    assert (ROOT / "config" / "gunicorn.conf.py").is_file()
    commands = get_commands()
    for service, command in WORKERS.items():
        assert services[service]["command"] == ["python", "manage.py", command, "--loop"]
        assert command in commands
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["proxy"]["image"].startswith("nginx:")
    # Only the proxy is reachable from outside.
    assert [name for name, spec in services.items() if "ports" in spec] == ["proxy"]


def test_compose_hands_the_application_only_variables_it_reads():
    services = compose()["services"]
    known = names_the_code_reads()
    for name in ("web", "migrate", *WORKERS):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")
        unknown = {key for key in environment if key not in known and key not in FOREIGN}
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"
    env_example = (DEPLOY / "env.example").read_text()
    for line in env_example.splitlines():
        if line and not line.startswith("#"):
            key = line.split("=", 1)[0]
            assert key in known or key == "POSTGRES_PASSWORD", key


def test_compose_references_resolve():
    document = compose()
    services = document["services"]
    volumes = set(document["volumes"])
    networks = set(document["networks"])
    for name, spec in services.items():
        for dependency in spec.get("depends_on", {}):
            assert dependency in services and dependency != name, (name, dependency)
        for mount in spec.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists() or source == "./certs", source
            else:
                assert source in volumes, source
        assert set(spec.get("networks", [])) <= networks
        build = spec.get("build")
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()


def test_nginx_proxies_to_the_web_service_and_hides_metrics():
    conf = (DEPLOY / "nginx" / "wangge.conf").read_text()
    upstream = re.search(r"upstream wangge_web \{\s*server ([\w.]+):(\d+);", conf)
    assert upstream is not None
    web = compose()["services"]["web"]
    assert upstream.group(1) == "web"
    assert web["environment"]["WANGGE_BIND"].endswith(f":{upstream.group(2)}")
    assert re.search(r"location = /metrics \{ return 404; \}", conf)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    # Photos are served by Django after a permission check, never from disk by nginx.
    assert "/media" not in conf


def test_systemd_units_run_the_same_processes_on_sqlite():
    units = {}
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read(path)
        units[path.stem] = parser
    assert set(units) == {
        "wangge-web",
        *(f"wangge-{name}" for name in WORKERS),
        "wangge-backup",
    }
    assert units["wangge-web"]["Service"]["ExecStart"].endswith(
        "gunicorn -c config/gunicorn.conf.py config.wsgi"
    )
    for name, command in WORKERS.items():
        assert units[f"wangge-{name}"]["Service"]["ExecStart"].endswith(
            f"manage.py {command} --loop"
        )
    assert "manage.py wangge_backup --archive" in units["wangge-backup"]["Service"]["ExecStart"]
    for unit in units.values():
        assert unit["Service"]["User"] == "wangge"
        assert unit["Service"]["EnvironmentFile"] == "/etc/wangge/wangge.env"
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "systemd" / "wangge.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert "DATABASE_URL" not in env and "REDIS_URL" not in env  # SQLite, database cache
    known = names_the_code_reads()
    assert {key for key in env if key not in known and key not in FOREIGN} == set()


def test_docker_compose_config_accepts_the_file_where_docker_compose_exists(tmp_path):
    docker = shutil.which("docker")
    has_compose = (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    env_file = tmp_path / "env"
    env_file.write_text(
        "POSTGRES_PASSWORD=x\nWANGGE_SECRET_KEY=x\nWANGGE_FIELD_KEYS={}\n"
        "WANGGE_BLIND_INDEX_KEY=x\nWANGGE_ALLOWED_HOSTS=example.org\n"
    )
    if has_compose:
        done = subprocess.run(
            [
                docker,
                "compose",
                "--env-file",
                str(env_file),
                "-f",
                "deploy/docker-compose.yml",
                "config",
                "--quiet",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    # Without docker compose, YAML that parses with every service is the floor.
    assert compose()["services"]
